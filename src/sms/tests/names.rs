//! Payer names that quote the receipt's labels. The name is whatever the
//! payer registered, so it is attacker-controlled text in the middle of a
//! trusted notification: no field may be read from it.

use std::str::FromStr;

use jiff::civil::DateTime;
use rust_decimal::Decimal;

use super::*;

/// Names that carry a fake transaction id, a fake date, or both.
const HOSTILE_NAMES: [&str; 6] = [
    "Ali رقم العملية 099999999999",
    "Ali رقم العملية: 099999999999.",
    "Ali تاريخ العملية 01:01 27-01-01",
    "Ali بتاريخ 01:01 27-01-01",
    "Ali رصيدك الحالي 1 تاريخ العملية 01:01 27-01-01 رقم العملية 099999999999",
    "رقم العملية 099999999999 Ali",
];

/// Each Arabic sample layout with the name it prints.
const NAMED_SAMPLES: [(&str, &str); 3] = [
    (ARABIC_ONE_LINE, "Sara M Hassan"),
    (ARABIC_MULTI_LINE, "Omar K Adel"),
    (INSTAPAY, "MONA S FARID"),
];

/// Asserts that `text` is `sample` with only its payer name changed.
fn assert_only_the_name_differs(sample: &str, text: &str, name: &str) {
    let got = parse_ok(text);
    let want = ParsedSms {
        payer_name: Some(name.to_owned()),
        ..parse_ok(sample)
    };
    assert!(want.same_transaction(&got), "{text:?}\n{got:#?}");
    assert_round_trips(&got);
}

#[test]
fn a_transaction_id_or_date_in_the_payers_name_is_not_read_in_any_arabic_layout() {
    for (sample, real_name) in NAMED_SAMPLES {
        for hostile in HOSTILE_NAMES {
            let text = sample.replace(real_name, hostile);
            // The name is kept whole, as registered, without its final dot.
            let kept = hostile.trim_end_matches('.');
            assert_only_the_name_differs(sample, &text, kept);
        }
    }
}

#[test]
fn the_reviewed_attack_keeps_the_real_transaction_id() {
    let text = ARABIC_MULTI_LINE.replace("Omar K Adel", "Ali رقم العملية 099999999999");
    let p = parse_ok(&text);
    assert_eq!(p.trans_id.as_str(), "019400011122");
    assert_eq!(
        p.payer_name.as_deref(),
        Some("Ali رقم العملية 099999999999")
    );
    let one_line = ARABIC_ONE_LINE.replace("Sara M Hassan", "Ali رقم العملية 099999999999");
    assert_eq!(parse_ok(&one_line).trans_id.as_str(), "014412345678");
}

#[test]
fn a_line_break_in_the_name_does_not_make_its_labels_count() {
    for (sample, real_name) in NAMED_SAMPLES {
        for hostile in [
            "Ali\nرقم العملية: 099999999999",
            "Ali\nتاريخ العملية: 01:01 27-01-01\nرقم العملية: 099999999999",
        ] {
            let p = parse_ok(&sample.replace(real_name, hostile));
            let want = parse_ok(sample);
            assert_eq!(p.trans_id, want.trans_id, "{hostile:?} in {sample:?}");
            assert_eq!(p.local_time, want.local_time, "{hostile:?} in {sample:?}");
            assert_eq!(p.payer_name.as_deref(), Some("Ali"));
            assert_round_trips(&p);
        }
    }
}

#[test]
fn english_text_between_payer_and_reference_does_not_supply_fields() {
    // The English layout prints no name today; should text ever appear
    // between the payer and `Ref`, only the last `Ref` and `Balance` count,
    // and the date is only read before the marker.
    let text = ENGLISH.replace(
        "from 00201055512345 to",
        "from 00201055512345 Ali Ref: 099999999999 Balance: 1 Jan 1, 2027 1:01:01 AM to",
    );
    let p = parse_ok(&text);
    assert_eq!(p.trans_id.as_str(), "019589800001");
    assert_eq!(p.balance, Some(Decimal::from_str("2023.65").unwrap()));
    assert_eq!(
        p.local_time,
        DateTime::from_str("2026-04-30T16:44:09").unwrap()
    );
    assert!(p.same_transaction(&parse_ok(ENGLISH)));
}
