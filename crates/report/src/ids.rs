//! Stable identifiers for exports: name-based UUIDs (RFC 4122 version 5, SHA-1), so the same
//! mail exported twice gives the same MISP and STIX ids, and STIX cyber-observables get the ids
//! the STIX 2.1 specification derives from their values.

use sha1::{Digest, Sha1};

/// The STIX 2.1 namespace for cyber-observable ids (section 2.9 of the specification).
pub const STIX_SCO_NAMESPACE: [u8; 16] =
    [0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7];

/// kaibo's namespace for the ids of its own objects (events, reports, indicators).
pub const KAIBO_NAMESPACE: [u8; 16] =
    [0x6b, 0x61, 0x69, 0x62, 0x6f, 0x2d, 0x4a, 0x50, 0x8a, 0x61, 0x69, 0x62, 0x6f, 0x00, 0x00, 0x01];

/// A version-5 UUID of `name` in `namespace`.
pub fn uuid5(namespace: &[u8; 16], name: &str) -> String {
    let mut h = Sha1::new();
    h.update(namespace);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stix_sco_id_matches_the_specification() {
        // Cross-checked with Python's `uuid.uuid5(UUID("00abedb4-…"), '{"value":"john@example.com"}')`.
        assert_eq!(
            uuid5(&STIX_SCO_NAMESPACE, r#"{"value":"john@example.com"}"#),
            "7165e2a9-671f-585d-b1e1-ca59c671d934"
        );
    }
}
