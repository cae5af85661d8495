//! Vodafone Cash SMS notifications: which senders to trust, and turning a
//! "money received" text into a [`ParsedSms`] (or a typed refusal).
//!
//! Two layouts exist: the Arabic receipt (on one line or several) and the
//! English one. Both are read from a normalised copy of the text (ASCII
//! digits, single spaces, `\n` line ends), so the layout readers only deal
//! with one spelling of each token. [`ParsedSms::to_sms_text`] writes the
//! canonical Arabic receipt back, which parses to the same transaction.
//!
//! The parser is total: any sender and text give a value or an
//! [`SmsError`], never a panic, and texts over 2,000 characters are refused
//! unread.

mod arabic;
mod english;
mod fields;
mod parse;
mod render;
mod time;
mod types;

pub use parse::parse_sms;
pub use types::{Field, Layout, ParsedSms, SmsError};

/// Sender ids the operator sends wallet notifications from. Anyone can send
/// an SMS that reads like a receipt; only these ids are believed.
const TRUSTED_SENDERS: [&str; 4] = ["VF-Cash", "VFCash", "Vodafone-Cash", "VodafoneCash"];

/// Whether `from` is one of the operator's sender ids, compared without
/// regard to ASCII case or surrounding whitespace.
pub fn is_trusted_sender(from: &str) -> bool {
    let from = from.trim();
    TRUSTED_SENDERS
        .iter()
        .any(|trusted| trusted.eq_ignore_ascii_case(from))
}

#[cfg(test)]
mod tests;
