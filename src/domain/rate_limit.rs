//! Fixed-window rate limits: at most `limit` calls per credential per window.

/// The length of a window, in seconds.
pub const WINDOW_SECONDS: i64 = 60;

/// The start of the window that `unix_seconds` falls in.
pub fn window_start(unix_seconds: i64) -> i64 {
    unix_seconds - unix_seconds.rem_euclid(WINDOW_SECONDS)
}

/// Where a credential stands after one more call in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub limit: u32,
    /// Calls left in this window after this one.
    pub remaining: u32,
    /// Whether this call is within the limit.
    pub allowed: bool,
    /// Unix time at which the window ends and the count starts again.
    pub resets_at: i64,
    /// Whole seconds from the call until the window resets, at least 1.
    pub retry_after: i64,
}

impl RateWindow {
    /// The verdict on the `hits`-th call made at `unix_seconds`.
    pub fn after(hits: i64, limit: u32, unix_seconds: i64) -> Self {
        let used = u32::try_from(hits.max(0)).unwrap_or(u32::MAX);
        let resets_at = window_start(unix_seconds) + WINDOW_SECONDS;
        Self {
            limit,
            remaining: limit.saturating_sub(used),
            allowed: used <= limit,
            resets_at,
            retry_after: (resets_at - unix_seconds).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hundred_and_first_call_is_refused() {
        let w = RateWindow::after(100, 100, 60);
        assert!(w.allowed);
        assert_eq!(w.remaining, 0);
        let w = RateWindow::after(101, 100, 75);
        assert!(!w.allowed);
        assert_eq!(w.resets_at, 120);
        assert_eq!(w.retry_after, 45);
        assert_eq!(RateWindow::after(101, 100, 119).retry_after, 1);
    }

    #[test]
    fn windows_start_on_the_minute() {
        assert_eq!(window_start(125), 120);
        assert_eq!(window_start(120), 120);
    }
}
