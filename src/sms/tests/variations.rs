//! Variations of the layouts the operator's texts show: line ends, digits,
//! spacing, punctuation, phone forms, tails and the English clock.

use std::str::FromStr;

use jiff::civil::DateTime;
use rust_decimal::Decimal;

use super::*;
use crate::domain::{Amount, Phone};
use crate::sms::is_trusted_sender;

/// Asserts that `variant` parses to the same transaction as `sample`.
fn assert_same(sample: &str, variant: &str) {
    let want = parse_ok(sample);
    let got = parse_ok(variant);
    assert!(want.same_transaction(&got), "{variant:?}\n{got:#?}");
    assert_round_trips(&got);
}

fn to_arabic_indic(text: &str, zero: char) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(u32::from(zero) + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

#[test]
fn crlf_and_cr_line_ends_are_read_like_lf() {
    assert_same(ARABIC_MULTI_LINE, &ARABIC_MULTI_LINE.replace('\n', "\r\n"));
    assert_same(ARABIC_MULTI_LINE, &ARABIC_MULTI_LINE.replace('\n', "\r"));
    assert_same(
        ARABIC_MULTI_LINE,
        &ARABIC_MULTI_LINE.replace('\n', " \r\n\r\n  "),
    );
}

#[test]
fn arabic_indic_and_persian_digits_are_read_anywhere() {
    for sample in RECEIPTS {
        assert_same(sample, &to_arabic_indic(sample, '\u{0660}'));
        assert_same(sample, &to_arabic_indic(sample, '\u{06F0}'));
    }
    // The Arabic decimal point and thousands separator too.
    let text = ARABIC_ONE_LINE.replace("1250.75", "١٬٢٥٠٫٧٥");
    assert_same(ARABIC_ONE_LINE, &text);
}

#[test]
fn spacing_variations_do_not_matter() {
    let cases = [
        ARABIC_MULTI_LINE.replace(' ', "  "),
        ARABIC_MULTI_LINE.replace(' ', "\u{00A0}"),
        ARABIC_MULTI_LINE.replace(' ', " \t"),
        ARABIC_MULTI_LINE.replace(": ", ":"),
        ARABIC_MULTI_LINE.replace(": ", " : "),
        ARABIC_MULTI_LINE.replace(": ", " :"),
        ARABIC_MULTI_LINE.replace("رقم العملية: ", "رقم العملية     "),
        ARABIC_MULTI_LINE.replace("رقم العملية: ", "رقم العملية :"),
        // Direction marks that Arabic phones insert around numbers.
        ARABIC_MULTI_LINE.replace("01098765432", "\u{200F}01098765432\u{200E}"),
        format!("  \n{ARABIC_MULTI_LINE}\n\n  "),
    ];
    for variant in cases {
        assert_same(ARABIC_MULTI_LINE, &variant);
    }
    let english = ENGLISH.replace(": ", " :  ").replace(", ", " , ");
    assert_same(ENGLISH, &english);
}

#[test]
fn payer_phone_in_every_printed_form_is_stored_nationally() {
    for form in [
        "+201012345678",
        "00201012345678",
        "201012345678",
        "1012345678",
    ] {
        let text = ARABIC_ONE_LINE.replace("01012345678", form);
        assert_same(ARABIC_ONE_LINE, &text);
    }
    let english = ENGLISH.replace("00201055512345", "+201055512345");
    assert_same(ENGLISH, &english);
}

#[test]
fn phone_and_transaction_id_may_be_glued_to_punctuation() {
    let glued = ARABIC_ONE_LINE.replace("01012345678 ؛", "01012345678؛");
    assert_same(ARABIC_ONE_LINE, &glued);
    let comma = ARABIC_ONE_LINE.replace("01012345678 ؛", "01012345678،");
    assert_same(ARABIC_ONE_LINE, &comma);
    let no_number_word = ARABIC_ONE_LINE.replace("من رقم  ", "من ");
    assert_same(ARABIC_ONE_LINE, &no_number_word);
    let id_dot = ARABIC_MULTI_LINE.replace("019400011122\n", "019400011122.\n");
    assert_same(ARABIC_MULTI_LINE, &id_dot);
    // Sample one already glues the id to `.دلوقتي`.
    assert_eq!(parse_ok(ARABIC_ONE_LINE).trans_id.as_str(), "014412345678");
}

#[test]
fn a_marketing_tail_with_numbers_does_not_change_the_fields() {
    let tail = " اشحن من رقم 01099999999 واكسب 500 جنيه رصيدك الحالي 1 رقم العملية 099999999999 بتاريخ 01:01 27-01-01";
    assert_same(ARABIC_MULTI_LINE, &format!("{ARABIC_MULTI_LINE}{tail}"));
    assert_same(INSTAPAY, &format!("{INSTAPAY}\n{tail}"));
}

#[test]
fn arabic_spelling_variants_are_accepted() {
    let cases = [
        ARABIC_MULTI_LINE.replace("بإسم", "باسم"),
        ARABIC_MULTI_LINE.replace("100 جنيه", "100 جنية"),
        ARABIC_MULTI_LINE.replace("على رقم", "علي رقم"),
        ARABIC_MULTI_LINE.replace("26-04-25", "2026-04-25"),
        ARABIC_MULTI_LINE.replace("26-04-25", "26/4/25"),
        ARABIC_MULTI_LINE.replace("100 جنيه", "100جنيه"),
    ];
    for variant in cases {
        assert_same(ARABIC_MULTI_LINE, &variant);
    }
}

#[test]
fn amounts_may_carry_thousands_separators_and_decimals() {
    let text = ARABIC_MULTI_LINE
        .replace("مبلغ 100 جنيه", "مبلغ 1,250.75 جنيه")
        .replace("152.38", "12,345,152.38");
    let p = parse_ok(&text);
    assert_eq!(p.amount, Amount::parse("1250.75").unwrap());
    assert_eq!(p.balance, Some(Decimal::from_str("12345152.38").unwrap()));
    assert_round_trips(&p);
    let english = parse_ok(&ENGLISH.replace("EGP10 ", "EGP 1,000.5 "));
    assert_eq!(english.amount, Amount::parse("1000.50").unwrap());
    assert_round_trips(&english);
}

#[test]
fn english_clock_reads_single_digits_am_pm_and_month_names() {
    let cases = [
        ("May 1, 2026 9:05:00 AM:", "2026-05-01T09:05:00"),
        ("Jan 2, 2026 12:15:30 AM:", "2026-01-02T00:15:30"),
        ("Jan 2, 2026 12:15:30 PM:", "2026-01-02T12:15:30"),
        ("September 9 2026 1:02 pm:", "2026-09-09T13:02:00"),
        ("Sept. 9, 2026 13:02:00:", "2026-09-09T13:02:00"),
        (
            "VF-Cash: Dec 31, 2026 11:59:59 p.m.:",
            "2026-12-31T23:59:59",
        ),
    ];
    for (stamp, want) in cases {
        let text = ENGLISH.replace("Apr 30, 2026 4:44:09 PM:", stamp);
        let p = parse_ok(&text);
        assert_eq!(p.local_time, DateTime::from_str(want).unwrap(), "{stamp}");
        assert_round_trips(&p);
    }
}

#[test]
fn english_marker_is_case_insensitive_and_payer_may_be_absent() {
    let lower = parse_ok(&ENGLISH.replace("Received EGP10", "received egp 10"));
    assert!(lower.same_transaction(&parse_ok(ENGLISH)));
    let no_phone = parse_ok(&ENGLISH.replace("from 00201055512345 to", "from to"));
    assert_eq!(no_phone.phone, None);
    assert_round_trips(&no_phone);
}

#[test]
fn every_trusted_sender_spelling_and_case_is_trusted() {
    let trusted = [
        "VF-Cash",
        "VFCash",
        "Vodafone-Cash",
        "VodafoneCash",
        "vf-cash",
        "VFCASH",
        "vodafone-CASH",
        "vodafonecash",
        "  VF-Cash\n",
        "\u{00A0}VFCash\t",
    ];
    for from in trusted {
        assert!(is_trusted_sender(from), "{from:?}");
        assert!(parse_sms(from, ARABIC_ONE_LINE).is_ok(), "{from:?}");
    }
    let untrusted = [
        "+201000000000",
        "VF-Cash2",
        "",
        " ",
        "VF Cash",
        "VF-Cas",
        "Vodafone",
        "VF\u{2010}Cash",
        "\u{200F}VF-Cash",
        "VF-Cash VF-Cash",
    ];
    for from in untrusted {
        assert!(!is_trusted_sender(from), "{from:?}");
        assert_eq!(
            parse_sms(from, ARABIC_ONE_LINE),
            Err(SmsError::UntrustedSender),
            "{from:?}"
        );
    }
}

#[test]
fn wallet_and_payer_are_kept_apart() {
    let p = parse_ok(ARABIC_MULTI_LINE);
    assert_eq!(p.phone, Some(Phone::parse("01098765432").unwrap()));
    assert_eq!(p.wallet, Some(Phone::parse("01011112222").unwrap()));
}
