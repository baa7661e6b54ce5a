//! QR codes in pictures: a cheap scan for finder patterns, then rqrr on the pictures that have one.

use crate::limits::{QR_MAX_DECODE_ALLOC, QR_MAX_PIXELS, QR_WORK_SIDE};

/// Decodes the QR codes in an image (PNG, JPEG or GIF). Light-on-dark codes are found too.
pub fn qr_codes(bytes: &[u8]) -> Vec<String> {
    let Ok(reader) = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format() else {
        return Vec::new();
    };
    let Ok((w, h)) = reader.into_dimensions() else { return Vec::new() };
    if u64::from(w) * u64::from(h) > QR_MAX_PIXELS || w < 21 || h < 21 {
        return Vec::new();
    }
    let Ok(mut reader) = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format() else {
        return Vec::new();
    };
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(QR_MAX_DECODE_ALLOC);
    reader.limits(limits);
    let Ok(img) = reader.decode() else { return Vec::new() };
    let mut grey = greyscale_on_white(img);
    if grey.width().max(grey.height()) > QR_WORK_SIDE {
        let scale = f64::from(QR_WORK_SIDE) / f64::from(grey.width().max(grey.height()));
        let nw = ((f64::from(grey.width()) * scale) as u32).max(1);
        let nh = ((f64::from(grey.height()) * scale) as u32).max(1);
        grey = image::imageops::resize(&grey, nw, nh, image::imageops::FilterType::Triangle);
    }
    if !has_finder_pattern(&grey) {
        return Vec::new();
    }
    let mut found = decode_grids(&grey, false);
    // A light-on-dark code makes a mostly dark picture; looking for one in every picture would
    // double the time spent on pictures without any code.
    if found.is_empty() && mostly_dark(&grey) {
        found = decode_grids(&grey, true);
    }
    found
}

/// Grey levels as a mail program shows the picture: transparent pixels (usually stored black)
/// laid on white. Plain 8-bit pictures take a direct integer path; the `image` crate's generic
/// conversion is several times slower.
fn greyscale_on_white(img: image::DynamicImage) -> image::GrayImage {
    fn luma(r: u8, g: u8, b: u8) -> u32 {
        (u32::from(r) * 77 + u32::from(g) * 150 + u32::from(b) * 29 + 128) >> 8
    }
    fn on_white(l: u32, a: u8) -> u8 {
        ((l * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8
    }
    let (w, h) = (img.width(), img.height());
    let pixels: Vec<u8> = match img {
        image::DynamicImage::ImageLuma8(g) => return g,
        image::DynamicImage::ImageRgb8(rgb) => {
            rgb.as_raw().chunks_exact(3).map(|p| luma(p[0], p[1], p[2]) as u8).collect()
        }
        image::DynamicImage::ImageRgba8(rgba) => {
            rgba.as_raw().chunks_exact(4).map(|p| on_white(luma(p[0], p[1], p[2]), p[3])).collect()
        }
        other => {
            let la = other.into_luma_alpha8();
            la.as_raw().chunks_exact(2).map(|p| on_white(u32::from(p[0]), p[1])).collect()
        }
    };
    image::GrayImage::from_raw(w, h, pixels).unwrap_or_else(|| image::GrayImage::new(1, 1))
}

/// Whether the picture holds something shaped like a QR finder (the three nested squares in a
/// code's corners): a run of shades in the proportions 1:1:3:1:1 across, crossed by the same
/// proportions down through its centre. rqrr finds no code without finders, and this scan costs
/// a fraction of its thresholding, so pictures without one (photos, logos, banners, most text)
/// are passed over. The threshold is the picture's mean shade; the proportions are checked in
/// either shade, so light-on-dark codes pass, and along any line through a finder's centre,
/// so rotated codes pass too.
fn has_finder_pattern(grey: &image::GrayImage) -> bool {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let px = grey.as_raw();
    if w == 0 || h == 0 || px.len() < w * h {
        return false;
    }
    let mean = px.iter().map(|&v| u64::from(v)).sum::<u64>() / px.len() as u64;
    let dark = |x: usize, y: usize| u64::from(px[y * w + x]) < mean;
    for y in 0..h {
        let row = &px[y * w..(y + 1) * w];
        // The last five runs on this row, oldest first, and the length of the current one.
        let mut runs = [0usize; 5];
        let mut run = 1;
        let mut shade = u64::from(row[0]) < mean;
        for (x, &v) in row.iter().enumerate().skip(1) {
            let d = u64::from(v) < mean;
            if d == shade {
                run += 1;
                continue;
            }
            runs.rotate_left(1);
            runs[4] = run;
            run = 1;
            shade = d;
            if runs[0] > 0 && finder_proportions(&runs) {
                let centre_x = x - runs[4] - runs[3] - runs[2] / 2 - 1;
                if crosses_vertically(centre_x, y, h, &dark, runs.iter().sum()) {
                    return true;
                }
            }
        }
    }
    false
}

/// Five run lengths in the proportions 1:1:3:1:1, with the tolerance of common QR scanners
/// widened a little for anti-aliased and JPEG-compressed pictures.
fn finder_proportions(runs: &[usize; 5]) -> bool {
    let total: usize = runs.iter().sum();
    if total < 7 {
        return false;
    }
    let module = total as f32 / 7.0;
    let slack = module * 0.6;
    let near = |r: usize, modules: f32| (r as f32 - module * modules).abs() < slack * modules;
    near(runs[0], 1.0) && near(runs[1], 1.0) && near(runs[2], 3.0) && near(runs[3], 1.0) && near(runs[4], 1.0)
}

/// Whether the column through (`x`, `y`) shows finder proportions too, about as tall as the
/// row's pattern is wide (`across`).
fn crosses_vertically(
    x: usize,
    y: usize,
    h: usize,
    dark: &impl Fn(usize, usize) -> bool,
    across: usize,
) -> bool {
    let centre = dark(x, y);
    let limit = across * 2;
    let up = runs_from(centre, (0..y).rev().take(limit).map(|yy| dark(x, yy)));
    let down = runs_from(centre, (y + 1..h).take(limit).map(|yy| dark(x, yy)));
    let runs = [up[2], up[1], up[0] + down[0] + 1, down[1], down[2]];
    let tall: usize = runs.iter().sum();
    runs[0] > 0 && runs[4] > 0 && finder_proportions(&runs) && tall * 2 >= across && tall <= across * 2
}

/// Walking away from a finder's centre (of shade `centre`) over `shades`: the length of the rest
/// of the centre run, then of the next two runs.
fn runs_from(centre: bool, shades: impl Iterator<Item = bool>) -> [usize; 3] {
    let mut runs = [0usize; 3];
    let (mut k, mut shade) = (0, centre);
    for d in shades {
        if d != shade {
            k += 1;
            shade = d;
            if k == 3 {
                break;
            }
        }
        runs[k] += 1;
    }
    runs
}

/// Whether at least 45% of the pixels are dark.
fn mostly_dark(grey: &image::GrayImage) -> bool {
    let dark = grey.as_raw().iter().filter(|&&v| v < 128).count();
    dark * 100 >= grey.as_raw().len() * 45
}

fn decode_grids(grey: &image::GrayImage, invert: bool) -> Vec<String> {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let v = grey.get_pixel(x as u32, y as u32).0[0];
        if invert { 255 - v } else { v }
    });
    let mut out = Vec::new();
    for grid in prepared.detect_grids().into_iter().take(4) {
        if let Ok((_, content)) = grid.decode()
            && !content.is_empty()
            && !out.contains(&content)
        {
            out.push(content);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture `side` pixels square: a QR code of `scale` pixels per module drawn at
    /// (`left`, `top`) over a background, turned by `degrees` about the centre.
    fn qr_scene(
        scale: u32,
        left: u32,
        top: u32,
        side: u32,
        degrees: f32,
        background: impl Fn(u32, u32) -> u8,
    ) -> image::GrayImage {
        let code = qrcode::QrCode::new(b"https://scan.phish.test/k?u=user@example.com").unwrap();
        let n = code.width() as u32;
        let colors = code.to_colors();
        let (sin, cos) = degrees.to_radians().sin_cos();
        let c = side as f32 / 2.0;
        image::GrayImage::from_fn(side, side, |x, y| {
            // Sample the unturned scene at the point that lands on (x, y).
            let (dx, dy) = (x as f32 - c, y as f32 - c);
            let (sx, sy) = (c + dx * cos + dy * sin, c - dx * sin + dy * cos);
            if sx < left as f32 || sy < top as f32 {
                return image::Luma([background(x, y)]);
            }
            let (mx, my) =
                (((sx - left as f32) / scale as f32) as u32, ((sy - top as f32) / scale as f32) as u32);
            let v = if mx < n + 8 && my < n + 8 {
                let inside = (4..n + 4).contains(&mx) && (4..n + 4).contains(&my);
                if inside && colors[((my - 4) * n + mx - 4) as usize] == qrcode::Color::Dark {
                    20
                } else {
                    235
                }
            } else {
                background(x, y)
            };
            image::Luma([v])
        })
    }

    fn jpeg_round_trip(img: &image::GrayImage, quality: u8) -> image::GrayImage {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(img).unwrap();
        image::load_from_memory(&jpeg).unwrap().into_luma8()
    }

    #[test]
    fn finder_scan_lets_through_every_code_rqrr_reads() {
        let gradient = |x: u32, y: u32| (90 + (x + y) % 140) as u8;
        let mut decoded = 0;
        for scale in [2, 3, 5, 8] {
            for degrees in [0.0, 30.0, 90.0] {
                for plain_background in [true, false] {
                    let side = (33 + 8) * scale + 120;
                    let img = if plain_background {
                        qr_scene(scale, 40, 50, side, degrees, |_, _| 250)
                    } else {
                        qr_scene(scale, 40, 50, side, degrees, gradient)
                    };
                    for img in [img.clone(), jpeg_round_trip(&img, 60)] {
                        let read = !decode_grids(&img, false).is_empty();
                        decoded += usize::from(read);
                        if read {
                            assert!(
                                has_finder_pattern(&img),
                                "scale {scale}, {degrees}°, plain {plain_background}"
                            );
                        }
                    }
                }
            }
        }
        // The scenes are readable: the check above is not vacuous.
        assert!(decoded >= 40, "{decoded}");
    }

    #[test]
    fn finder_scan_passes_over_pictures_without_a_code() {
        // A smooth photo-like gradient, a striped banner and bars of text-like strokes.
        let gradient =
            image::GrayImage::from_fn(400, 300, |x, y| image::Luma([((x * 255 / 400 + y / 3) % 256) as u8]));
        let stripes =
            image::GrayImage::from_fn(400, 100, |x, _| image::Luma([if x % 12 < 6 { 30 } else { 220 }]));
        let strokes = image::GrayImage::from_fn(400, 60, |x, y| {
            let ink = (20..40).contains(&y) && matches!(x % 16, 2 | 3 | 7 | 11);
            image::Luma([if ink { 0 } else { 255 }])
        });
        for img in [gradient, stripes, strokes] {
            assert!(!has_finder_pattern(&img));
        }
    }

    #[test]
    fn not_an_image() {
        assert!(qr_codes(b"\x89PNG\r\n\x1a\ngarbage").is_empty());
        assert!(qr_codes(b"").is_empty());
    }
}
