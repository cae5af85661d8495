//! The sample receipts, every field checked, and their round trips.

use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{self, TimeZone};
use rust_decimal::Decimal;

use super::*;
use crate::domain::{Amount, Phone, TransId};
use crate::sms::{Layout, is_trusted_sender};

/// A sample's expected fields, as the samples file writes them.
struct Expect {
    amount: &'static str,
    phone: Option<&'static str>,
    trans_id: &'static str,
    payer_name: Option<&'static str>,
    wallet: Option<&'static str>,
    balance: Option<&'static str>,
    time: &'static str,
    /// The same instant in UTC.
    utc: &'static str,
    layout: Layout,
}

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

fn check(text: &str, want: Expect) {
    let p = parse_ok(text);
    assert_eq!(p.amount, Amount::parse(want.amount).unwrap());
    assert_eq!(p.phone, want.phone.map(phone));
    assert_eq!(p.trans_id, TransId::parse(want.trans_id).unwrap());
    assert_eq!(p.payer_name.as_deref(), want.payer_name);
    assert_eq!(p.wallet, want.wallet.map(phone));
    assert_eq!(
        p.balance,
        want.balance.map(|b| Decimal::from_str(b).unwrap())
    );
    assert_eq!(p.local_time, DateTime::from_str(want.time).unwrap());
    assert_eq!(p.received_at, Timestamp::from_str(want.utc).unwrap());
    assert_eq!(p.layout, want.layout);
}

#[test]
fn arabic_one_line_sample() {
    check(
        ARABIC_ONE_LINE,
        Expect {
            amount: "250",
            phone: Some("01012345678"),
            trans_id: "014412345678",
            payer_name: Some("Sara M Hassan"),
            wallet: None,
            balance: Some("1250.75"),
            time: "2026-10-03T21:14",
            utc: "2026-10-03T18:14:00Z",
            layout: Layout::Arabic,
        },
    );
}

#[test]
fn arabic_multi_line_sample() {
    check(
        ARABIC_MULTI_LINE,
        Expect {
            amount: "100",
            phone: Some("01098765432"),
            trans_id: "019400011122",
            payer_name: Some("Omar K Adel"),
            wallet: Some("01011112222"),
            balance: Some("152.38"),
            time: "2026-04-25T17:10",
            utc: "2026-04-25T14:10:00Z",
            layout: Layout::Arabic,
        },
    );
}

#[test]
fn english_sample() {
    check(
        ENGLISH,
        Expect {
            amount: "10",
            phone: Some("01055512345"),
            trans_id: "019589800001",
            payer_name: None,
            wallet: None,
            balance: Some("2023.65"),
            time: "2026-04-30T16:44:09",
            utc: "2026-04-30T13:44:09Z",
            layout: Layout::English,
        },
    );
}

#[test]
fn instapay_sample_has_no_payer_phone() {
    check(
        INSTAPAY,
        Expect {
            amount: "9272.52",
            phone: None,
            trans_id: "021600000042",
            payer_name: Some("MONA S FARID"),
            wallet: Some("01060000001"),
            balance: Some("10006.28"),
            time: "2026-07-13T23:25",
            utc: "2026-07-13T20:25:00Z",
            layout: Layout::Arabic,
        },
    );
}

#[test]
fn promotion_sample_is_not_a_payment() {
    assert_eq!(parse(PROMOTION), Err(SmsError::NotAPayment));
}

#[test]
fn wrong_sender_sample_is_untrusted() {
    assert!(!is_trusted_sender("+201000000000"));
    assert_eq!(
        parse_sms("+201000000000", WRONG_SENDER_TEXT),
        Err(SmsError::UntrustedSender)
    );
    // The same text from the operator is a receipt but has no date.
    assert_eq!(
        parse(WRONG_SENDER_TEXT),
        Err(SmsError::Unparseable(crate::sms::Field::Time))
    );
}

#[test]
fn cairo_offset_is_summer_time_in_summer_and_standard_in_winter() {
    let cairo = TimeZone::get("Africa/Cairo").unwrap();
    let summer = parse_ok(ARABIC_ONE_LINE);
    assert_eq!(
        summer.received_at.to_zoned(cairo.clone()).offset(),
        tz::offset(3)
    );
    let winter_text = ARABIC_ONE_LINE.replace("26-10-03", "26-01-15");
    let winter = parse_ok(&winter_text);
    assert_eq!(winter.received_at.to_zoned(cairo).offset(), tz::offset(2));
    assert_eq!(
        winter.received_at,
        Timestamp::from_str("2026-01-15T19:14:00Z").unwrap()
    );
}

#[test]
fn clock_change_hours_are_placed_without_failing() {
    // 2026-04-24 00:00 jumps to 01:00: 00:30 does not exist in Cairo and is
    // read on the old offset (+02:00).
    let gap = parse_ok(&ARABIC_ONE_LINE.replace("21:14 26-10-03", "00:30 26-04-24"));
    assert_eq!(
        gap.received_at,
        Timestamp::from_str("2026-04-23T22:30:00Z").unwrap()
    );
    // 2026-10-29 24:00 falls back to 23:00: 23:30 happens twice; the first
    // (+03:00) is taken.
    let fold = parse_ok(&ARABIC_ONE_LINE.replace("21:14 26-10-03", "23:30 26-10-29"));
    assert_eq!(
        fold.received_at,
        Timestamp::from_str("2026-10-29T20:30:00Z").unwrap()
    );
}

#[test]
fn every_sample_receipt_round_trips_through_its_canonical_text() {
    for text in RECEIPTS {
        assert_round_trips(&parse_ok(text));
    }
}

#[test]
fn canonical_text_is_the_multi_line_layout() {
    let p = parse_ok(ARABIC_MULTI_LINE);
    assert_eq!(
        p.to_sms_text(),
        "تم استلام مبلغ 100 جنيه من رقم 01098765432 المسجل بإسم Omar K Adel على رقم محفظتك 01011112222.\n\
         رصيدك الحالي: 152.38 جنيه\n\
         تاريخ العملية: 17:10 26-04-25\n\
         رقم العملية: 019400011122"
    );
    let instapay = parse_ok(INSTAPAY).to_sms_text();
    assert!(instapay.starts_with("تم استلام مبلغ 9272.52 جنيه من ؛ المسجل بإسم MONA S FARID"));
    assert!(
        parse_ok(ENGLISH)
            .to_sms_text()
            .contains("16:44:09 26-04-30")
    );
}

#[test]
fn same_transaction_ignores_only_the_layout() {
    let p = parse_ok(ENGLISH);
    let canonical = parse_ok(&p.to_sms_text());
    assert_eq!(canonical.layout, Layout::Arabic);
    assert_ne!(p, canonical);
    assert!(p.same_transaction(&canonical));
    let other = ParsedSms {
        trans_id: TransId::parse("019589800002").unwrap(),
        ..p.clone()
    };
    assert!(!p.same_transaction(&other));
}
