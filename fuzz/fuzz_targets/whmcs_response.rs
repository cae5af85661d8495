//! Arbitrary status codes and bodies into the WHMCS answer classifier:
//! always exactly one class, never success unless the body says success.
//! Input: the status's two bytes (big-endian) then the body.
#![no_main]

use cashgate::whmcs::{CallOutcome, classify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [hi, lo, body @ ..] => (u16::from_be_bytes([*hi, *lo]), body),
        _ => (200, data),
    };
    match classify(status, body) {
        CallOutcome::Success(value) => {
            // WHMCS installs with a byte order mark in a PHP file send one
            // before the JSON; the classifier reads past it, so does this.
            let json = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
            let parsed: serde_json::Value = serde_json::from_slice(json).expect("a success body is JSON");
            assert_eq!(parsed.get("result").and_then(|r| r.as_str()), Some("success"), "status {status}");
            assert!((200..300).contains(&status), "success with status {status}");
            assert_eq!(value, parsed);
        }
        CallOutcome::Permanent(_) | CallOutcome::Transient(_) | CallOutcome::Unknown(_) => {}
    }
});
