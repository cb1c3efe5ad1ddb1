//! Wall-clock time for tasks. Cores that fold events (the inventory, the TUI's `update`) never
//! read it: time reaches them as data, so they stay deterministic under test.

/// Millis since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds since the epoch of an RFC 3339 time (`2026-12-01T10:13:37Z`, as the API server
/// writes managedFields times, or with an offset); `None` for anything else.
pub fn rfc3339_secs(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// `ms` (since the epoch) as RFC 3339 in UTC, to the second, as the API server writes times.
pub fn rfc3339(ms: u64) -> String {
    jiff::Timestamp::from_second((ms / 1000) as i64)
        .map(|t| t.to_string())
        .unwrap_or_default()
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
        assert_eq!(
            rfc3339_secs("2026-01-01T00:00:00+01:00"),
            Some(1_767_225_600 - 3_600)
        );
        assert_eq!(rfc3339(1_767_225_600_999), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339_secs("yesterday"), None);
        assert_eq!(age(1_767_225_600_000, 1_767_225_600 - 180), "3m");
    }
}
