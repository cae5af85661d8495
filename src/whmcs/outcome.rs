//! What a WHMCS call came to: [`CallOutcome`], and for refusals the typed
//! [`WhmcsRefusal`] read from WHMCS's message.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

/// The one thing a WHMCS call came to.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome<T> {
    /// WHMCS said `"result":"success"`.
    Success(T),
    /// WHMCS refused and committed nothing; a human must fix the cause.
    Permanent(Rejection),
    /// The connection could not be opened; nothing was sent.
    Transient(String),
    /// The request may have been committed; reconcile before retrying.
    Unknown(String),
}

impl<T> CallOutcome<T> {
    /// Maps the success value, keeping every other outcome.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> CallOutcome<U> {
        self.and_then(|v| CallOutcome::Success(f(v)))
    }

    /// Chains a step that may itself fail (e.g. reading the success body).
    pub fn and_then<U>(self, f: impl FnOnce(T) -> CallOutcome<U>) -> CallOutcome<U> {
        match self {
            CallOutcome::Success(v) => f(v),
            CallOutcome::Permanent(r) => CallOutcome::Permanent(r),
            CallOutcome::Transient(m) => CallOutcome::Transient(m),
            CallOutcome::Unknown(m) => CallOutcome::Unknown(m),
        }
    }

    /// `success`, `permanent`, `transient` or `unknown`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CallOutcome::Success(_) => "success",
            CallOutcome::Permanent(_) => "permanent",
            CallOutcome::Transient(_) => "transient",
            CallOutcome::Unknown(_) => "unknown",
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, CallOutcome::Success(_))
    }

    /// The rejection of a `Permanent` outcome.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            CallOutcome::Permanent(r) => Some(r),
            _ => None,
        }
    }
}

impl<T> fmt::Display for CallOutcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallOutcome::Success(_) => f.write_str("success"),
            CallOutcome::Permanent(r) => write!(f, "refused: {r}"),
            CallOutcome::Transient(m) => write!(f, "not sent: {m}"),
            CallOutcome::Unknown(m) => write!(f, "outcome unknown: {m}"),
        }
    }
}

/// A refusal: what kind, WHMCS's own message (trimmed, capped) and the
/// HTTP status (0 when we refused before sending anything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub refusal: WhmcsRefusal,
    pub message: String,
    pub http_status: u16,
}

impl Rejection {
    /// Whether repeating the call makes WHMCS ban our IP (see
    /// [`WhmcsRefusal::trips_breaker`]).
    pub fn trips_breaker(&self) -> bool {
        self.refusal.trips_breaker()
    }

    /// A refusal of our own, before anything was sent.
    pub(crate) fn local(refusal: WhmcsRefusal, message: &str) -> Rejection {
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
pub enum WhmcsRefusal {
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
    /// `Invoice ID Not Found` (GetInvoice, ApplyCredit).
    InvoiceNotFound,
    /// `Invoice Not in Unpaid Status` (ApplyCredit): the invoice is paid,
    /// cancelled or otherwise closed — for the payer, nothing to do.
    InvoiceNotUnpaid,
    /// `Amount exceeds customer credit balance` (ApplyCredit): the client's
    /// credit is less than the amount; nothing was applied.
    CreditBalanceTooLow,
    /// `Amount Exceeds Invoice Balance` (ApplyCredit): more than the
    /// invoice still owes; nothing was applied.
    ExceedsInvoiceBalance,
    /// `Credit Amount to apply must be greater than zero` (ApplyCredit).
    AmountNotPositive,
    /// Anything else: other action errors, a 4xx without a known message.
    Other,
}

impl WhmcsRefusal {
    /// True for the refusals that make WHMCS ban our IP when repeated: stop
    /// calling this WHMCS until a human fixes the settings. Refusals about
    /// one client, invoice or amount concern that payment only.
    pub fn trips_breaker(&self) -> bool {
        matches!(
            self,
            WhmcsRefusal::InvalidIp { .. }
                | WhmcsRefusal::IpBanned
                | WhmcsRefusal::Credentials
                | WhmcsRefusal::AccountDisabled
                | WhmcsRefusal::Permission { .. }
        )
    }

    /// Reads WHMCS's error message (case-insensitively).
    pub fn from_message(message: &str) -> WhmcsRefusal {
        let message = message.trim();
        let lower = message.to_ascii_lowercase();
        if lower == "invalid ip" || lower.starts_with("invalid ip ") {
            let seen = message.get("invalid ip".len()..).unwrap_or_default();
            return WhmcsRefusal::InvalidIp {
                seen_ip: seen_ip(seen),
            };
        }
        if lower.starts_with("invalid permissions") {
            return WhmcsRefusal::Permission {
                action: quoted(message).unwrap_or_default().to_ascii_lowercase(),
            };
        }
        match lower.as_str() {
            "ip banned" => WhmcsRefusal::IpBanned,
            "invalid or missing credentials" | "authentication failed" => WhmcsRefusal::Credentials,
            "administrator account disabled" => WhmcsRefusal::AccountDisabled,
            "client id not found" => WhmcsRefusal::ClientNotFound,
            "invoice id not found" => WhmcsRefusal::InvoiceNotFound,
            "invoice not in unpaid status" => WhmcsRefusal::InvoiceNotUnpaid,
            "amount exceeds customer credit balance" => WhmcsRefusal::CreditBalanceTooLow,
            "amount exceeds invoice balance" => WhmcsRefusal::ExceedsInvoiceBalance,
            "credit amount to apply must be greater than zero" => WhmcsRefusal::AmountNotPositive,
            _ if lower.starts_with("amount must be in decimal format") => {
                WhmcsRefusal::AmountFormat
            }
            _ => WhmcsRefusal::Other,
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
