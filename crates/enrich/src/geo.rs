//! Where an IP address is and who announces it, from MaxMind-format `.mmdb` files (maxminddb):
//! GeoLite2/GeoIP2 City or Country and ASN, and the DB-IP / ip-location-db layouts (which use
//! the same names, or `country_code` for a bare country database).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

pub use kaibo_model::enrichment::IpInfo;
use serde::Deserialize;

pub struct GeoDb {
    city: Option<maxminddb::Reader<Vec<u8>>>,
    asn: Option<maxminddb::Reader<Vec<u8>>>,
}

#[derive(Deserialize, Default)]
struct Names {
    #[serde(default)]
    names: BTreeMap<String, String>,
    #[serde(default)]
    iso_code: Option<String>,
}

#[derive(Deserialize, Default)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// GeoIP2 and DB-IP nest names (`city.names.en`); ip-location-db writes flat strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum Place {
    Nested(Names),
    Flat(String),
}

impl Place {
    fn english(&self) -> Option<String> {
        match self {
            Place::Nested(n) => n.names.get("en").cloned(),
            Place::Flat(s) => Some(s.clone()),
        }
    }
}

#[derive(Deserialize, Default)]
struct CityRecord {
    #[serde(default)]
    country: Option<Names>,
    #[serde(default)]
    registered_country: Option<Names>,
    #[serde(default)]
    city: Option<Place>,
    #[serde(default)]
    location: Option<Location>,
    /// ip-location-db's flat layout.
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

#[derive(Deserialize, Default)]
struct AsnRecord {
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
}

impl GeoDb {
    /// Opens the databases that exist; a missing one is reported, not fatal.
    pub fn open(city: Option<&Path>, asn: Option<&Path>, notes: &mut Vec<String>) -> GeoDb {
        let mut open = |p: Option<&Path>, what: &str| {
            let p = p?;
            match maxminddb::Reader::open_readfile(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    notes.push(format!("{what} database {}: {e}", p.display()));
                    None
                }
            }
        };
        GeoDb { city: open(city, "geolocation"), asn: open(asn, "ASN") }
    }

    pub fn is_empty(&self) -> bool {
        self.city.is_none() && self.asn.is_none()
    }

    pub fn lookup(&self, ip: IpAddr, info: &mut IpInfo) {
        if let Some(r) = &self.city
            && let Ok(res) = r.lookup(ip)
            && let Ok(Some(rec)) = res.decode::<CityRecord>()
        {
            let country = rec.country.or(rec.registered_country);
            info.country = country.as_ref().and_then(|c| c.iso_code.clone()).or(rec.country_code);
            info.country_name = country.as_ref().and_then(|c| c.names.get("en").cloned());
            info.city = rec.city.as_ref().and_then(Place::english);
            info.latitude = rec.location.as_ref().and_then(|l| l.latitude).or(rec.latitude);
            info.longitude = rec.location.as_ref().and_then(|l| l.longitude).or(rec.longitude);
        }
        if let Some(r) = &self.asn
            && let Ok(res) = r.lookup(ip)
            && let Ok(Some(rec)) = res.decode::<AsnRecord>()
        {
            info.asn = rec.autonomous_system_number;
            info.as_org = rec.autonomous_system_organization;
        }
    }
}
