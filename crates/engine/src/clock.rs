//! Wall-clock time for tasks. Cores that fold events (the inventory, the TUI's `update`) never
//! read it: time reaches them as data, so they stay deterministic under test.

/// Millis since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
