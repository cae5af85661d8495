//! Texts that are refused, each with the reason it names.

use super::*;
use crate::sms::Field;

fn assert_refused(text: &str, field: Field) {
    assert_eq!(parse(text), Err(SmsError::Unparseable(field)), "{text:?}");
}

#[test]
fn a_receipt_missing_a_required_field_names_it() {
    let cases = [
        (
            ARABIC_MULTI_LINE.replace("رقم العملية: 019400011122", ""),
            Field::TransId,
        ),
        (
            ARABIC_MULTI_LINE.replace("مبلغ 100 جنيه", "مبلغ جنيه"),
            Field::Amount,
        ),
        (
            ARABIC_MULTI_LINE.replace("تاريخ العملية: 17:10 26-04-25", ""),
            Field::Time,
        ),
        (
            ARABIC_MULTI_LINE.replace("100 جنيه من رقم", "100 جنيه رقم"),
            Field::Phone,
        ),
        (
            ARABIC_MULTI_LINE.replace("100 جنيه", "100 دولار"),
            Field::Amount,
        ),
        (ENGLISH.replace("Ref: 019589800001", ""), Field::TransId),
        (ENGLISH.replace("Apr 30, 2026 4:44:09 PM:", ""), Field::Time),
        (ENGLISH.replace("EGP10", "EGP"), Field::Amount),
        (ENGLISH.replace("from ", "by "), Field::Phone),
    ];
    for (text, field) in cases {
        assert_refused(&text, field);
    }
}

#[test]
fn a_receipt_with_an_invalid_field_names_it() {
    let multi = |from: &str, to: &str| ARABIC_MULTI_LINE.replace(from, to);
    let cases = [
        (multi("26-04-25", "26-02-30"), Field::Time),
        (multi("26-04-25", "26-13-01"), Field::Time),
        (multi("17:10", "25:10"), Field::Time),
        (multi("17:10", "17:60"), Field::Time),
        (multi("26-04-25", "126-04-25"), Field::Time),
        (multi("26-04-25", "1999-04-25"), Field::Time),
        (multi("17:10 26-04-25", "26-04-25"), Field::Time),
        (multi("019400011122", "0194"), Field::TransId),
        (
            multi("019400011122", "01940001112200000000"),
            Field::TransId,
        ),
        (multi("019400011122", "abc"), Field::TransId),
        (multi("مبلغ 100", "مبلغ 0"), Field::Amount),
        (multi("مبلغ 100", "مبلغ 100.001"), Field::Amount),
        (multi("مبلغ 100", "مبلغ 1,00"), Field::Amount),
        (multi("مبلغ 100", "مبلغ 123456789"), Field::Amount),
        (multi("01098765432", "01398765432"), Field::Phone),
        (multi("01098765432", "0109876543"), Field::Phone),
        (multi("01011112222", "2559"), Field::Wallet),
        (multi("محفظتك  01011112222", "محفظتك"), Field::Wallet),
        (multi("152.38", "-152.38"), Field::Balance),
        (multi("152.38", "1,52.38"), Field::Balance),
        (multi("152.38", "152.385"), Field::Balance),
        (multi("Omar K Adel", &"Omar ".repeat(30)), Field::PayerName),
        (ENGLISH.replace("4:44:09 PM", "13:44:09 PM"), Field::Time),
        (ENGLISH.replace("Apr 30", "Apr 31"), Field::Time),
        (ENGLISH.replace("Apr 30", "Foo 30"), Field::Time),
        (
            ENGLISH.replace("00201055512345", "0020105551234"),
            Field::Phone,
        ),
    ];
    for (text, field) in cases {
        assert_refused(&text, field);
    }
}

#[test]
fn texts_without_the_received_marker_are_not_payments() {
    let cases = [
        PROMOTION,
        "تم تحويل مبلغ 250 جنيه إلى رقم 01012345678 رقم العملية: 014412345678",
        "تم استلام طلبك وجاري تنفيذه",
        "You have sent EGP10 to 01012345678. Ref: 019589800001",
        "Received your request",
        "",
        "   \n\r\n ",
    ];
    for text in cases {
        assert_eq!(parse(text), Err(SmsError::NotAPayment), "{text:?}");
    }
}

#[test]
fn over_long_texts_are_refused_unread_but_not_before_the_sender() {
    let long = format!("{ARABIC_ONE_LINE}{}", " ".repeat(2_000));
    assert_eq!(parse(&long), Err(SmsError::TooLong));
    assert_eq!(parse_sms("spoof", &long), Err(SmsError::UntrustedSender));
    let exactly = format!("{ARABIC_MULTI_LINE}{}", "ا".repeat(2_000));
    let at_limit: String = exactly.chars().take(2_000).collect();
    assert!(parse(&at_limit).is_ok());
    let over: String = exactly.chars().take(2_001).collect();
    assert_eq!(parse(&over), Err(SmsError::TooLong));
}

#[test]
fn errors_say_which_field_is_wrong() {
    let err = SmsError::Unparseable(Field::TransId);
    assert_eq!(
        err.to_string(),
        "the text reads like a payment receipt, but its transaction id is missing or invalid"
    );
}
