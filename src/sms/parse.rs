//! The parser's entry point: checks the sender and the length, normalises
//! the text, finds the "money received" marker and hands the text to the
//! layout it belongs to.

use super::types::{ParsedSms, SMS_CHARS_MAX, SmsError};
use super::{arabic, english, fields, is_trusted_sender};

/// Parses the notification `text` that arrived from sender id `from`.
///
/// The sender is checked first, so an untrusted text is refused whatever
/// it says; then the length, then whether it is a receipt at all.
pub fn parse_sms(from: &str, text: &str) -> Result<ParsedSms, SmsError> {
    if !is_trusted_sender(from) {
        return Err(SmsError::UntrustedSender);
    }
    if text.chars().nth(SMS_CHARS_MAX).is_some() {
        return Err(SmsError::TooLong);
    }
    let text = fields::normalise(text);
    // ASCII lower-casing keeps every byte index, so positions found in one
    // copy are valid in the other.
    let lower = text.to_ascii_lowercase();
    let arabic = arabic::find_marker(&text);
    let english = english::find_marker(&lower);
    match (arabic, english) {
        (Some(a), Some(e)) if e.0 < a.0 => english::parse(&lower, e),
        (Some(a), _) => arabic::parse(&text, a),
        (None, Some(e)) => english::parse(&lower, e),
        (None, None) => Err(SmsError::NotAPayment),
    }
}
