//! The WHMCS API client: `AddCredit`, `GetCredits`, `GetInvoice`,
//! `ApplyCredit` and a preflight check of a store's WHMCS settings.
//!
//! Every call is `POST {api_url}/includes/api.php`, form-encoded, with
//! `responsetype=json`, the API `identifier` and `secret`, and the action.
//! Each answer is classified as exactly one [`CallOutcome`]:
//!
//! - `Success` — only when the body is JSON with `"result":"success"`;
//! - `Permanent` — WHMCS refused and nothing was committed; a human must
//!   fix something (IP whitelist, credentials, permission, client id, …);
//! - `Transient` — the connection could not be opened: nothing was sent;
//! - `Unknown` — the request may have been committed: a timeout after
//!   sending, a cut answer, any 5xx, or a 2xx that is not WHMCS's JSON.
//!
//! [`classify`] is pure (status and body in, outcome out); the transport
//! in `transport` only maps the network's failures. Secrets travel in the
//! body only and never reach an error message or a log line.

mod answer;
mod classify;
mod client;
mod invoice;
mod money;
mod outcome;
mod preflight;
mod transport;

pub use answer::{credit_lines, new_balance};
pub use classify::{MESSAGE_CHARS_MAX, classify};
pub use invoice::{
    AppliedCredit, Invoice, InvoiceAnswerError, InvoiceStatus, read_applied_credit, read_invoice,
};
pub use money::{MONEY_CHARS_MAX, MONEY_WHOLE_DIGITS_MAX, MoneyError, money, money_text};
pub use outcome::{CallOutcome, Rejection, WhmcsRefusal};
pub use preflight::{Check, Preflight, PreflightAnswers, assess};
pub use transport::{WhmcsClient, WhmcsError};

use serde::{Deserialize, Serialize};

use crate::domain::{Secret, TransId};
use crate::merchant::WhmcsSettings;

/// The path of WHMCS's API script under its base URL.
const API_PATH: &str = "/includes/api.php";

/// What a call needs to authenticate, borrowed from a store's settings.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub api_url: &'a str,
    pub identifier: &'a str,
    pub secret: &'a Secret,
}

impl<'a> From<&'a WhmcsSettings> for Credentials<'a> {
    fn from(s: &'a WhmcsSettings) -> Self {
        Credentials {
            api_url: &s.api_url,
            identifier: &s.identifier,
            secret: &s.secret,
        }
    }
}

/// One line of a client's credit log, as `GetCredits` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    pub id: String,
    pub date: String,
    pub description: String,
    pub amount: String,
}

/// The description of our credit for a wallet transaction; reconciliation
/// looks for exactly this text.
pub fn description(trans_id: &TransId) -> String {
    format!("VodafoneCash payment - trans_id: {trans_id}")
}

/// The API endpoint for a WHMCS base URL: trailing `/` dropped, and a URL
/// that already ends in `/includes/api.php` used as it is.
pub fn endpoint(api_url: &str) -> String {
    let base = api_url.trim().trim_end_matches('/');
    if base.ends_with(API_PATH) {
        base.to_owned()
    } else {
        format!("{base}{API_PATH}")
    }
}

/// Whether the credit log holds our credit for `trans_id` (exact match of
/// the description).
pub fn has_credit_for(lines: &[CreditLine], trans_id: &TransId) -> bool {
    let wanted = description(trans_id);
    lines.iter().any(|line| line.description == wanted)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_invoices;
#[cfg(test)]
mod tests_preflight;
