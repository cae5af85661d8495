//! A store's time zone: an IANA name (`Africa/Cairo`) checked against the
//! time zone database bundled into the binary, so the times people read
//! (the console, the approval page and email) come out the same on every
//! server, whatever its own zone files say.

use std::fmt;

use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longer names than any in the database are refused before the lookup.
const TIME_ZONE_CHARS_MAX: usize = 64;
/// Where the platform's merchants are.
pub const TIME_ZONE_DEFAULT: &str = "Africa/Cairo";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IANA time zone name such as \"Africa/Cairo\"")]
pub struct TimeZoneError(pub String);

/// A time zone by its IANA name, with its rules loaded.
#[derive(Clone)]
pub struct TimeZoneName {
    name: String,
    zone: TimeZone,
}

impl TimeZoneName {
    pub fn parse(input: &str) -> Result<TimeZoneName, TimeZoneError> {
        let name = input.trim();
        let refuse = || TimeZoneError(input.chars().take(TIME_ZONE_CHARS_MAX).collect());
        if name.is_empty() || name.chars().count() > TIME_ZONE_CHARS_MAX {
            return Err(refuse());
        }
        let zone = jiff::tz::db().get(name).map_err(|_| refuse())?;
        Ok(TimeZoneName {
            name: name.to_owned(),
            zone,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl Default for TimeZoneName {
    /// `Africa/Cairo`, from the bundled database; UTC only if a build
    /// somehow lacked it (a test below proves it does not).
    fn default() -> Self {
        TimeZoneName::parse(TIME_ZONE_DEFAULT).unwrap_or_else(|_| TimeZoneName {
            name: "UTC".to_owned(),
            zone: TimeZone::UTC,
        })
    }
}

impl PartialEq for TimeZoneName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZoneName {}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZoneName({})", self.name)
    }
}

impl Serialize for TimeZoneName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeZoneName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cairo_is_the_default_and_comes_from_the_bundled_database() {
        let tz = TimeZoneName::default();
        assert_eq!(tz.as_str(), "Africa/Cairo");
        // Egypt is UTC+2 in winter (no daylight saving in December).
        let at: jiff::Timestamp = "2026-12-02T06:06:03Z".parse().unwrap();
        assert_eq!(at.to_zoned(tz.zone().clone()).hour(), 8);
    }

    #[test]
    fn only_real_names_parse() {
        for ok in ["Africa/Cairo", "UTC", "Asia/Riyadh", " Europe/London "] {
            assert!(TimeZoneName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Cairo",
            "Africa/Nowhere",
            "../../etc/passwd",
            &"A/".repeat(40),
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad}");
        }
        let json: TimeZoneName = serde_json::from_str(r#""Asia/Dubai""#).unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), r#""Asia/Dubai""#);
        assert!(serde_json::from_str::<TimeZoneName>(r#""Mars/Olympus""#).is_err());
    }
}
