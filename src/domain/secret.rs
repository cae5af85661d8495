//! Secrets (WHMCS API secret, ingest tokens, admin token) wrapped so they
//! never reach a log line or a debug print by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string. `Debug` and `Display` print `***`; compare with
/// [`Secret::matches`], which takes time independent of where they differ.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time comparison (in the length of the candidate), so a
    /// caller cannot learn a token byte by byte from response times.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = self.0.as_bytes();
        let given = candidate.as_bytes();
        let mut diff = u8::from(expected.len() != given.len());
        for (i, b) in given.iter().enumerate() {
            diff |= b ^ expected.get(i).copied().unwrap_or(0);
        }
        diff == 0 && !expected.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print_and_match_exactly() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert!(s.matches("hunter2"));
        assert!(!s.matches("hunter"));
        assert!(!s.matches("hunter22"));
        assert!(!s.matches(""));
        assert!(!Secret::new("").matches(""));
    }
}
