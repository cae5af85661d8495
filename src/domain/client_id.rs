//! The WHMCS client id a check is for: `client_id` when given, else a
//! numeric `user_name`, else the number in a trailing `(123)` of
//! `user_name` (the module sends `"First Last (123)"`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::digits::normalise;

/// Longest `user_name` worth looking at.
const USER_NAME_CHARS_MAX: usize = 256;
/// WHMCS keeps client ids in a signed 32-bit column.
const CLIENT_ID_MAX: u32 = i32::MAX as u32;

/// A positive WHMCS client id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct ClientId(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    #[error("client id must be a whole number from 1 to 2147483647")]
    NotANumber,
    #[error("no client id: send client_id, or a user_name that is a number or ends in (123)")]
    Missing,
}

impl ClientId {
    /// Parses a bare client id such as `42`.
    pub fn parse(input: &str) -> Result<ClientId, ClientIdError> {
        let ascii = normalise(input.trim());
        if ascii.is_empty() || ascii.len() > 10 || !ascii.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ClientIdError::NotANumber);
        }
        let n: u32 = ascii.parse().map_err(|_| ClientIdError::NotANumber)?;
        ClientId::try_from(n).map_err(|_| ClientIdError::NotANumber)
    }

    /// Picks the client id from the module's fields: `client_id`, else a
    /// numeric `user_name`, else the number in a trailing `(123)`.
    /// A `client_id` that is present but invalid is an error, not a reason
    /// to fall back to `user_name`.
    pub fn from_fields(
        client_id: Option<&str>,
        user_name: Option<&str>,
    ) -> Result<ClientId, ClientIdError> {
        if let Some(given) = client_id.filter(|s| !s.trim().is_empty()) {
            return ClientId::parse(given);
        }
        let user_name = user_name.map(str::trim).unwrap_or_default();
        if user_name.is_empty() || user_name.chars().count() > USER_NAME_CHARS_MAX {
            return Err(ClientIdError::Missing);
        }
        if let Ok(id) = ClientId::parse(user_name) {
            return Ok(id);
        }
        trailing_parenthesised(user_name)
            .and_then(|inner| ClientId::parse(inner).ok())
            .ok_or(ClientIdError::Missing)
    }

    pub fn get(&self) -> u32 {
        self.0
    }
}

/// The text inside a final `( … )`, e.g. `42` in `Jane Doe (42)`.
fn trailing_parenthesised(s: &str) -> Option<&str> {
    let body = s.strip_suffix(')')?;
    let open = body.rfind('(')?;
    Some(&body[open + 1..])
}

impl TryFrom<u32> for ClientId {
    type Error = ClientIdError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if n == 0 || n > CLIENT_ID_MAX {
            return Err(ClientIdError::NotANumber);
        }
        Ok(ClientId(n))
    }
}

impl From<ClientId> for u32 {
    fn from(id: ClientId) -> u32 {
        id.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> ClientId {
        ClientId::try_from(n).unwrap()
    }

    #[test]
    fn accepted_sources_in_order() {
        let cases: [(Option<&str>, Option<&str>, u32); 12] = [
            (Some("42"), None, 42),
            (Some(" 42 "), Some("Jane Doe (7)"), 42),
            (Some("٤٢"), None, 42),
            (None, Some("42"), 42),
            (Some(""), Some("42"), 42),
            (Some("  "), Some("Jane Doe (42)"), 42),
            (None, Some("Jane Doe (42)"), 42),
            (None, Some("Jane Doe(42)"), 42),
            (None, Some("  Jane Doe (42)  "), 42),
            (None, Some("(42)"), 42),
            (None, Some("Jane (Work) Doe (42)"), 42),
            (None, Some("2147483647"), 2_147_483_647),
        ];
        for (client_id, user_name, expected) in cases {
            assert_eq!(
                ClientId::from_fields(client_id, user_name),
                Ok(id(expected)),
                "{client_id:?} {user_name:?}"
            );
        }
    }

    #[test]
    fn refused_sources_name_their_reason() {
        use ClientIdError::*;
        let cases: [(Option<&str>, Option<&str>, ClientIdError); 14] = [
            (None, None, Missing),
            (Some(""), Some(""), Missing),
            (None, Some("Jane Doe"), Missing),
            (None, Some("Jane Doe (42) x"), Missing),
            (None, Some("Jane Doe (0)"), Missing),
            (None, Some("Jane Doe (-42)"), Missing),
            (None, Some("Jane Doe ()"), Missing),
            (None, Some("Jane Doe (4 2)"), Missing),
            (None, Some("Jane Doe (2147483648)"), Missing),
            (Some("abc"), Some("Jane Doe (42)"), NotANumber),
            (Some("0"), None, NotANumber),
            (Some("-1"), None, NotANumber),
            (Some("2147483648"), None, NotANumber),
            (Some("99999999999999999999"), None, NotANumber),
        ];
        for (client_id, user_name, reason) in cases {
            assert_eq!(
                ClientId::from_fields(client_id, user_name),
                Err(reason),
                "{client_id:?} {user_name:?}"
            );
        }
        let long_name = format!("{} (42)", "x".repeat(300));
        assert_eq!(ClientId::from_fields(None, Some(&long_name)), Err(Missing));
    }

    #[test]
    fn serde_refuses_zero() {
        assert_eq!(serde_json::to_string(&id(42)).unwrap(), "42");
        assert!(serde_json::from_str::<ClientId>("0").is_err());
    }
}
