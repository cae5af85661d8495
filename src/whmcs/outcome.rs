//! What a WHMCS call came to: [`Outcome`], and for refusals the typed
//! [`Refusal`] read from WHMCS's message.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

/// The one thing a WHMCS call came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// WHMCS said `"result":"success"`.
    Success(T),
    /// WHMCS refused and committed nothing; a human must fix the cause.
    Permanent(Rejection),
    /// The connection could not be opened; nothing was sent.
    Transient(String),
    /// The request may have been committed; reconcile before retrying.
    Unknown(String),
}

impl<T> Outcome<T> {
    /// Maps the success value, keeping every other outcome.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        self.and_then(|v| Outcome::Success(f(v)))
    }

    /// Chains a step that may itself fail (e.g. reading the success body).
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Outcome<U>) -> Outcome<U> {
        match self {
            Outcome::Success(v) => f(v),
            Outcome::Permanent(r) => Outcome::Permanent(r),
            Outcome::Transient(m) => Outcome::Transient(m),
            Outcome::Unknown(m) => Outcome::Unknown(m),
        }
    }

    /// `success`, `permanent`, `transient` or `unknown`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Success(_) => "success",
            Outcome::Permanent(_) => "permanent",
            Outcome::Transient(_) => "transient",
            Outcome::Unknown(_) => "unknown",
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }

    /// The rejection of a `Permanent` outcome.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Outcome::Permanent(r) => Some(r),
            _ => None,
        }
    }
}

impl<T> fmt::Display for Outcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Success(_) => f.write_str("success"),
            Outcome::Permanent(r) => write!(f, "refused: {r}"),
            Outcome::Transient(m) => write!(f, "not sent: {m}"),
            Outcome::Unknown(m) => write!(f, "outcome unknown: {m}"),
        }
    }
}

/// A refusal: what kind, WHMCS's own message (trimmed, capped) and the
/// HTTP status (0 when we refused before sending anything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub refusal: Refusal,
    pub message: String,
    pub http_status: u16,
}

impl Rejection {
    /// Whether repeating the call makes WHMCS ban our IP (see
    /// [`Refusal::trips_breaker`]).
    pub fn trips_breaker(&self) -> bool {
        self.refusal.trips_breaker()
    }

    /// A refusal of our own, before anything was sent.
    pub(crate) fn local(refusal: Refusal, message: &str) -> Rejection {
        Rejection {
            refusal,
            message: message.to_owned(),
            http_status: 0,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.http_status {
            0 => write!(f, "{} (not sent)", self.message),
            status => write!(f, "{} (HTTP {status})", self.message),
        }
    }
}

/// Why WHMCS refused, read from its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// `Invalid IP 203.0.113.7`: our IP is not whitelisted; the IP WHMCS saw.
    InvalidIp { seen_ip: Option<String> },
    /// `IP Banned`: too many failed attempts from our IP.
    IpBanned,
    /// `Invalid or missing credentials` or `Authentication Failed`.
    Credentials,
    /// `Administrator Account Disabled`.
    AccountDisabled,
    /// `Invalid Permissions: API action "addcredit" is not allowed`.
    Permission { action: String },
    /// `Client ID Not Found`.
    ClientNotFound,
    /// `Amount must be in decimal format: ### or ###.##`.
    AmountFormat,
    /// Anything else: other action errors, a 4xx without a known message.
    Other,
}

impl Refusal {
    /// True for the refusals that make WHMCS ban our IP when repeated: stop
    /// calling this WHMCS until a human fixes the settings.
    pub fn trips_breaker(&self) -> bool {
        matches!(
            self,
            Refusal::InvalidIp { .. }
                | Refusal::IpBanned
                | Refusal::Credentials
                | Refusal::AccountDisabled
                | Refusal::Permission { .. }
        )
    }

    /// Reads WHMCS's error message (case-insensitively).
    pub fn from_message(message: &str) -> Refusal {
        let message = message.trim();
        let lower = message.to_ascii_lowercase();
        if lower == "invalid ip" || lower.starts_with("invalid ip ") {
            let seen = message.get("invalid ip".len()..).unwrap_or_default();
            return Refusal::InvalidIp {
                seen_ip: seen_ip(seen),
            };
        }
        if lower.starts_with("invalid permissions") {
            return Refusal::Permission {
                action: quoted(message).unwrap_or_default().to_ascii_lowercase(),
            };
        }
        match lower.as_str() {
            "ip banned" => Refusal::IpBanned,
            "invalid or missing credentials" | "authentication failed" => Refusal::Credentials,
            "administrator account disabled" => Refusal::AccountDisabled,
            "client id not found" => Refusal::ClientNotFound,
            _ if lower.starts_with("amount must be in decimal format") => Refusal::AmountFormat,
            _ => Refusal::Other,
        }
    }
}

/// The IP address in the rest of an `Invalid IP …` message, if it is one.
fn seen_ip(rest: &str) -> Option<String> {
    let candidate = rest.trim().trim_end_matches('.');
    candidate.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

/// The text between the first pair of double quotes.
fn quoted(message: &str) -> Option<&str> {
    let (_, after) = message.split_once('"')?;
    let (inside, _) = after.split_once('"')?;
    Some(inside)
}
