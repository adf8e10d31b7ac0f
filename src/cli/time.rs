//! Times on the command line: Unix seconds, a UTC date, or a duration from
//! now.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Parses `WHEN`: Unix seconds (`1767225600`), a UTC date or date-time
/// (`2027-01-31`, `2027-01-31T12:00:00Z`), or a duration from `now`
/// (`90d`, `12h`, `30m`).
pub fn parse(text: &str, now: u64) -> Result<u64, String> {
    let bad = || format!("{text:?}: expected Unix seconds, YYYY-MM-DD[THH:MM:SSZ], or a duration like 90d, 12h, 30m");
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let (number, unit) = text.split_at_checked(text.len().saturating_sub(1)).unwrap_or((text, ""));
    let scale = [("d", 86_400u64), ("h", 3_600), ("m", 60)].iter().find(|(u, _)| *u == unit).map(|(_, s)| *s);
    if let (Ok(n), Some(scale)) = (number.parse::<u64>(), scale) {
        return n.checked_mul(scale).and_then(|d| now.checked_add(d)).ok_or_else(bad);
    }
    let (date, time) = text.split_once('T').unwrap_or((text, "00:00:00Z"));
    let d: Vec<u64> = date.split('-').map(str::parse).collect::<Result<_, _>>().map_err(|_| bad())?;
    let t: Vec<u64> =
        time.trim_end_matches('Z').split(':').map(str::parse).collect::<Result<_, _>>().map_err(|_| bad())?;
    let (&[y, mo, day], &[h, mi, s]) = (d.as_slice(), t.as_slice()) else { return Err(bad()) };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60
    {
        return Err(bad());
    }
    Ok(days_from_civil(y, mo, day) * 86_400 + h * 3_600 + mi * 60 + s)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm), for years from 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`: the library's one formatter.
pub fn format(secs: u64) -> String {
    prescan::time::utc(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse("2027-01-31", 0).unwrap(), 1_801_353_600);
        assert_eq!(parse("2027-01-31T12:00:00Z", 0).unwrap(), 1_801_396_800);
        assert_eq!(format(1_801_396_800), "2027-01-31T12:00:00Z");
        assert_eq!(parse("90d", 100).unwrap(), 100 + 90 * 86_400);
        assert_eq!(parse("1767225600", 0).unwrap(), 1_767_225_600);
        assert!(parse("soon", 0).is_err());
        assert!(parse("2027-13-01", 0).is_err());
    }
}
