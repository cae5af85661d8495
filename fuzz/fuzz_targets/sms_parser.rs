//! Arbitrary sender and text into the Vodafone Cash parser: never a panic,
//! and whatever it accepts re-serialises and re-parses to the same
//! transaction. Input: the sender id, a newline, the SMS text (so the seed
//! corpus is readable: `corpus/sms_parser/seed-*`).
#![no_main]

use cashgate::sms::parse_sms;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (from, text) = text.split_once('\n').unwrap_or(("VF-Cash", &text));
    if let Ok(parsed) = parse_sms(from, text) {
        let canonical = parsed.to_sms_text();
        let again = parse_sms("VF-Cash", &canonical).unwrap_or_else(|e| panic!("re-parse of {canonical:?} failed: {e}"));
        assert!(parsed.same_transaction(&again), "{parsed:?} != {again:?}");
    }
});
