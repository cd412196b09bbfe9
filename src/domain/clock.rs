//! The one place roster reads the time. Production reads the system clock; tests hold a hand
//! on a manual clock and move it, so no test sleeps for a window or a lifetime to pass.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands at `at` until its hand moves it.
    pub fn manual(at: DateTime<Utc>) -> (Self, ClockHand) {
        let time = Arc::new(Mutex::new(at));
        (Self(Some(time.clone())), ClockHand(time))
    }

    /// The current time at the precision both stores keep (microseconds), so that a value
    /// read back equals the value written.
    pub fn now(&self) -> DateTime<Utc> {
        let at = match &self.0 {
            None => Utc::now(),
            Some(time) => *time.lock().unwrap_or_else(|e| e.into_inner()),
        };
        at.trunc_subsecs(6)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("Clock::system"),
            Some(_) => write!(f, "Clock::manual({})", self.now()),
        }
    }
}

/// Moves a manual clock.
#[derive(Clone)]
pub struct ClockHand(Arc<Mutex<DateTime<Utc>>>);

impl ClockHand {
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_by_its_hand() {
        let start = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        let (clock, hand) = Clock::manual(start);
        assert_eq!(clock.now(), start.trunc_subsecs(6));
        hand.advance(Duration::seconds(61));
        assert_eq!(clock.now().timestamp(), 1_800_000_061);
        hand.set(start);
        assert_eq!(clock.clone().now(), start.trunc_subsecs(6));
    }
}
