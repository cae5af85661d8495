//! The one source of business time (windows, expiry, backoff). Production
//! reads the system clock; tests hold a [`ManualClock`] and move it, so a
//! 48-hour approval window passes in a millisecond of real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// A cheap, cloneable handle to business time.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The operating system's wall clock.
    #[default]
    System,
    /// A clock that only moves when a test moves it.
    Manual(ManualClock),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(manual) => manual.now(),
        }
    }
}

/// A clock shared between a test and the daemon it drives.
#[derive(Clone, Debug)]
pub struct ManualClock {
    /// Milliseconds since the Unix epoch.
    now_ms: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn starting_at(at: Timestamp) -> ManualClock {
        ManualClock {
            now_ms: Arc::new(AtomicI64::new(at.as_millisecond())),
        }
    }

    pub fn now(&self) -> Timestamp {
        let ms = self.now_ms.load(Ordering::SeqCst);
        Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Moves the clock forward (never backward: business time is monotonic).
    pub fn advance(&self, by: SignedDuration) {
        let by_ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX).max(0);
        self.now_ms.fetch_add(by_ms, Ordering::SeqCst);
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Clock {
        Clock::Manual(manual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward_and_is_shared() {
        let start = Timestamp::from_second(1_700_000_000).unwrap();
        let manual = ManualClock::starting_at(start);
        let clock = Clock::from(manual.clone());
        assert_eq!(clock.now(), start);
        manual.advance(SignedDuration::from_hours(48));
        assert_eq!(clock.now(), start + SignedDuration::from_hours(48));
        manual.advance(SignedDuration::from_hours(-1));
        assert_eq!(clock.now(), start + SignedDuration::from_hours(48));
    }
}
