//! Time windows in settings (`"30m"`, `"48h"`, `"2h 30m"`), kept as a
//! duration and written back in the same friendly form.

use std::fmt;
use std::str::FromStr;

use jiff::SignedDuration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest window a setting may hold: 90 days.
const WINDOW_SECONDS_MAX: i64 = 90 * 24 * 3600;

/// A positive duration of at most 90 days.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window(SignedDuration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("not a duration like \"30m\", \"48h\" or \"2h 30m\"")]
    NotADuration,
    #[error("a window must be longer than zero and at most 90 days")]
    OutOfRange,
}

impl Window {
    pub fn parse(input: &str) -> Result<Window, WindowError> {
        let d = SignedDuration::from_str(input.trim()).map_err(|_| WindowError::NotADuration)?;
        Window::try_from(d)
    }

    pub fn from_minutes(minutes: i64) -> Window {
        Window(SignedDuration::from_mins(minutes))
    }

    pub fn from_hours(hours: i64) -> Window {
        Window(SignedDuration::from_hours(hours))
    }

    pub fn duration(&self) -> SignedDuration {
        self.0
    }
}

impl TryFrom<SignedDuration> for Window {
    type Error = WindowError;
    fn try_from(d: SignedDuration) -> Result<Self, Self::Error> {
        if d <= SignedDuration::ZERO || d > SignedDuration::from_secs(WINDOW_SECONDS_MAX) {
            return Err(WindowError::OutOfRange);
        }
        Ok(Window(d))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Window({self})")
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Window::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_durations_round_trip() {
        for (input, printed) in [
            ("30m", "30m"),
            ("48h", "48h"),
            ("2h 30m", "2h 30m"),
            ("90s", "1m 30s"),
        ] {
            let w = Window::parse(input).unwrap();
            assert_eq!(w.to_string(), printed, "{input}");
            assert_eq!(Window::parse(&w.to_string()).unwrap(), w);
        }
        assert_eq!(Window::parse("48h").unwrap(), Window::from_hours(48));
    }

    #[test]
    fn nonsense_and_out_of_range_windows_are_refused() {
        assert_eq!(Window::parse("soon"), Err(WindowError::NotADuration));
        assert_eq!(Window::parse(""), Err(WindowError::NotADuration));
        assert_eq!(Window::parse("0s"), Err(WindowError::OutOfRange));
        assert_eq!(Window::parse("-5m"), Err(WindowError::OutOfRange));
        assert_eq!(Window::parse("2200h"), Err(WindowError::OutOfRange));
    }
}
