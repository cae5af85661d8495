//! An approver's email address: parsed once, when a store is saved, and
//! compared without regard to ASCII case wherever a decision is checked
//! (the address in a signed link against the store's list).

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest address SMTP carries (RFC 5321's path limit).
const EMAIL_CHARS_MAX: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an email address")]
pub struct EmailError(pub String);

/// An email address as the store lists it. Equal to another when they
/// differ only in ASCII case.
#[derive(Clone)]
pub struct Email(String);

impl Email {
    /// One `@` with text on both sides, a dot in the domain, no whitespace,
    /// angle brackets or commas: enough to refuse typos without rejecting
    /// real addresses.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let s = input.trim();
        let refuse = || EmailError(input.chars().take(64).collect());
        let (local, domain) = s.split_once('@').ok_or_else(refuse)?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && s.len() <= EMAIL_CHARS_MAX
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ','));
        if valid {
            Ok(Email(s.to_owned()))
        } else {
            Err(refuse())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Email) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Email {}

impl Hash for Email {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Email, D::Error> {
        let text = String::deserialize(d)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_compare_without_case() {
        let a = Email::parse(" Owner@Example.com ").unwrap();
        assert_eq!(a.as_str(), "Owner@Example.com");
        assert_eq!(a, Email::parse("owner@example.COM").unwrap());
        assert_ne!(a, Email::parse("other@example.com").unwrap());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"Owner@Example.com\"");
        assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), a);
    }

    #[test]
    fn typos_are_refused() {
        for bad in [
            "",
            "not an email",
            "a@b@c.com",
            "@example.com",
            "a@example",
            "a@.example.com",
            "a@example.com.",
            "<a@example.com>",
            "a@example.com,b@example.com",
            "a@exa\u{0}mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }
}
