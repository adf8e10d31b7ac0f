//! Unix seconds as a date, for messages: the library has no clock (callers
//! pass theirs), but what it says about a time names a date.

/// Unix seconds as an RFC 3339 UTC date-time, `YYYY-MM-DDTHH:MM:SSZ`
/// (proleptic Gregorian, Howard Hinnant's `civil_from_days`).
///
/// ```
/// assert_eq!(prescan::time::utc(1_801_396_800), "2027-01-31T12:00:00Z");
/// assert_eq!(prescan::time::utc(0), "1970-01-01T00:00:00Z");
/// ```
pub fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
