//! Calendar arithmetic for the dates kaibo reads and writes (RFC 3339, `YYYY-MM-DD`), without a
//! date library: days since 1970-01-01 both ways (Howard Hinnant's algorithms).

/// Days since 1970-01-01 of the `YYYY-MM-DD` at the start of `date`.
pub fn days_from_civil(date: &str) -> Option<i64> {
    let y: i64 = date.get(0..4)?.parse().ok()?;
    let m: i64 = date.get(5..7)?.parse().ok()?;
    let d: i64 = date.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", if m <= 2 { y + 1 } else { y })
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2023-11-14T09:12:00+09:00`, `…Z`).
pub fn unix_from_rfc3339(s: &str) -> Option<i64> {
    let days = days_from_civil(s)?;
    let t = s.get(11..19)?;
    let (h, mi, se): (i64, i64, i64) =
        (t.get(0..2)?.parse().ok()?, t.get(3..5)?.parse().ok()?, t.get(6..8)?.parse().ok()?);
    let rest = s.get(19..)?.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match rest.as_bytes().first() {
        None | Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a Unix time.
pub fn rfc3339_utc(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    format!("{}T{:02}:{:02}:{:02}Z", civil_from_days(days), secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a system time (a file's modification time, now).
pub fn rfc3339_of(t: std::time::SystemTime) -> String {
    rfc3339_utc(t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(days_from_civil("1970-01-01"), Some(0));
        assert_eq!(civil_from_days(19_663), "2023-11-02");
        assert_eq!(days_from_civil(&civil_from_days(-1)), Some(-1));
        assert_eq!(unix_from_rfc3339("2023-11-14T09:12:00+09:00"), Some(1_699_920_720));
        assert_eq!(rfc3339_utc(1_699_920_720), "2023-11-14T00:12:00Z");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365 + 3661);
        assert_eq!(rfc3339_of(t), "1971-01-01T01:01:01Z");
        assert_eq!(unix_from_rfc3339("2023-11-14T00:12:00.5Z"), Some(1_699_920_720));
        assert_eq!(unix_from_rfc3339("nonsense"), None);
    }
}
