//! Wall-clock time for tasks. Cores that fold events (the inventory, the TUI's `update`) never
//! read it: time reaches them as data, so they stay deterministic under test.

/// Millis since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds since the epoch of an RFC 3339 time in UTC (`2026-12-01T10:13:37Z`, as the API server
/// writes managedFields times); `None` for anything else.
pub fn rfc3339_secs(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    // days from the civil date (Howard Hinnant's algorithm)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3_600 + min * 60 + s)
}

/// "45s", "12m", "3h", "5d": how long ago `then` (seconds since the epoch) was at `now_ms`.
pub fn age(now_ms: u64, then: i64) -> String {
    let secs = (now_ms / 1000) as i64 - then;
    match secs {
        s if s < 0 => "now".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_api_servers_times() {
        assert_eq!(rfc3339_secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_secs("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(rfc3339_secs("2024-02-29T12:30:05Z"), Some(1_709_209_805));
        assert_eq!(
            rfc3339_secs("2026-01-01T00:00:00.123456Z"),
            Some(1_767_225_600)
        );
        assert_eq!(rfc3339_secs("2026-01-01T00:00:00+01:00"), None);
        assert_eq!(rfc3339_secs("yesterday"), None);
        assert_eq!(age(1_767_225_600_000, 1_767_225_600 - 180), "3m");
    }
}
