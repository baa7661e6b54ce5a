//! A small world map of the places enrichment found, as a self-contained SVG: no tiles, no
//! requests, so it works offline and can be inlined in a report.
//!
//! The land outline is Natural Earth's 1:110m land (public domain), projected
//! equirectangularly into a 360 × 180 view box (`scripts/make_world_map.py` writes it).

use std::fmt::Write;

use kaibo_model::Enrichment;

const LAND: &str = include_str!("../../../data/world-land-110m.svgpath");

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The map with one pin per located IP address, or `None` when no address has coordinates.
pub fn render_map_svg(e: &Enrichment) -> Option<String> {
    let points: Vec<_> = e
        .ips
        .iter()
        .filter_map(|ip| Some((ip, ip.latitude?, ip.longitude?)))
        .filter(|(_, lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0)
        .collect();
    if points.is_empty() {
        return None;
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 360 180\" width=\"720\" height=\"360\" \
         role=\"img\" aria-label=\"Where the mail's addresses are\">\
         <rect width=\"360\" height=\"180\" fill=\"#dbeaf5\"/>\
         <path d=\"{}\" fill=\"#c9c3b5\" stroke=\"#8f887a\" stroke-width=\"0.2\"/>",
        LAND.trim()
    );
    for (i, (ip, lat, lon)) in points.iter().enumerate() {
        let (x, y) = (lon + 180.0, 90.0 - lat);
        let place =
            [ip.city.as_deref(), ip.country.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
        let label = format!("{} {}", ip.ip, place);
        let link = ip.seen_as.iter().any(|s| s.starts_with("link"));
        let colour = if link { "#c62828" } else { "#1565c0" };
        // Labels alternate above and below the pin so two pins in one city stay readable.
        let dy = if i % 2 == 0 { -3.0 } else { 6.0 };
        let _ = write!(
            svg,
            "<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"1.8\" fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{t}</title></circle>\
             <text x=\"{:.2}\" y=\"{:.2}\" font-family=\"sans-serif\" font-size=\"4\" fill=\"{colour}\">{l}</text>",
            x + 2.5,
            y + dy,
            t = escape(&format!("{label} ({})", ip.seen_as.join(", "))),
            l = escape(&label),
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}
