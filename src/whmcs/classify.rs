//! The pure classifier: an HTTP status and a body in, one [`CallOutcome`] out.
//! No I/O, no panics on any input, so a fuzzer can drive it.
//!
//! | status | body | outcome |
//! |---|---|---|
//! | 2xx | JSON `result: success` | `Success` |
//! | 2xx | JSON `result: error` | `Permanent` (the action refused) |
//! | 2xx | anything else | `Unknown` (WHMCS may have committed) |
//! | 3xx | any | `Permanent` (the URL needs fixing; nothing ran) |
//! | 4xx | JSON `result: success` | `Unknown` (contradicts itself) |
//! | 4xx | anything else | `Permanent` (refused before the action) |
//! | 5xx, other | any | `Unknown` (may have committed before failing) |

use serde_json::Value;

use super::outcome::{CallOutcome, Rejection, WhmcsRefusal};

/// Longest message kept from an answer, in characters.
pub const MESSAGE_CHARS_MAX: usize = 300;

/// Classifies one answer. The success value is the whole JSON object.
pub fn classify(status: u16, body: &[u8]) -> CallOutcome<Value> {
    let json = json_object(body);
    let result = json.as_ref().and_then(|v| v.get("result")?.as_str());
    match status {
        200..=299 => match result {
            Some("success") => CallOutcome::Success(json.unwrap_or(Value::Null)),
            Some("error") => CallOutcome::Permanent(rejection(status, json.as_ref(), body)),
            _ => CallOutcome::Unknown(format!(
                "HTTP {status} without a WHMCS result: {}",
                excerpt(body)
            )),
        },
        300..=399 => CallOutcome::Permanent(Rejection {
            refusal: WhmcsRefusal::Other,
            message: format!(
                "redirected (HTTP {status}): whmcs.api_url should be the final https URL"
            ),
            http_status: status,
        }),
        400..=499 if result == Some("success") => CallOutcome::Unknown(format!(
            "HTTP {status} with a success body: {}",
            excerpt(body)
        )),
        400..=499 => CallOutcome::Permanent(rejection(status, json.as_ref(), body)),
        _ => CallOutcome::Unknown(format!(
            "HTTP {status}; WHMCS may have committed before failing: {}",
            excerpt(body)
        )),
    }
}

/// The body as a JSON object, tolerating a UTF-8 byte order mark.
fn json_object(body: &[u8]) -> Option<Value> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

/// A refusal from WHMCS's JSON message, or `Other` with the body's text.
fn rejection(status: u16, json: Option<&Value>, body: &[u8]) -> Rejection {
    match json {
        Some(v) => {
            let message = clean_message(&message_text(v.get("message")));
            Rejection {
                refusal: WhmcsRefusal::from_message(&message),
                message,
                http_status: status,
            }
        }
        None => Rejection {
            refusal: WhmcsRefusal::Other,
            message: excerpt(body),
            http_status: status,
        },
    }
}

/// A message field as text (WHMCS sends a string; anything else printed).
fn message_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A short, printable excerpt of a body for messages.
fn excerpt(body: &[u8]) -> String {
    let head = body.get(..MESSAGE_CHARS_MAX * 4).unwrap_or(body);
    let text = clean_message(&String::from_utf8_lossy(head));
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        text
    }
}

/// Trimmed, control characters turned into spaces, at most
/// [`MESSAGE_CHARS_MAX`] characters (`…` marks a cut).
pub(crate) fn clean_message(raw: &str) -> String {
    let trimmed = raw.trim();
    let mut out: String = trimmed
        .chars()
        .take(MESSAGE_CHARS_MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if trimmed.chars().nth(MESSAGE_CHARS_MAX).is_some() {
        out.push('…');
    }
    out
}
