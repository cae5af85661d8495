//! Tests of the SMS parser: the sample receipts field by field, the layout
//! variations the operator's texts show, refusals, robustness on hostile
//! input, and the canonical text's round trip.

mod names;
mod refusals;
mod robustness;
mod samples;
mod variations;

use super::{ParsedSms, SmsError, parse_sms};

const SENDER: &str = "VF-Cash";

const ARABIC_ONE_LINE: &str = "تم استلام مبلغ 250 جنيه من رقم  01012345678 ؛ المسجل بإسم Sara M Hassan رصيدك الحالي 1250.75 تاريخ العملية 21:14 26-10-03 رقم العملية  014412345678.دلوقتي تقدر تسحب من محفظتك برسوم 5 جنيه … http://vf.eg/vfcash";
const ARABIC_MULTI_LINE: &str = "تم استلام مبلغ 100 جنيه من رقم 01098765432 المسجل بإسم Omar K Adel على رقم محفظتك  01011112222.\nرصيدك الحالي: 152.38 جنيه\nتاريخ العملية: 17:10 26-04-25\nرقم العملية: 019400011122\nتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash";
const ENGLISH: &str = "Apr 30, 2026 4:44:09 PM: Received EGP10 from 00201055512345 to Mobile Account Number 2559. Ref: 019589800001 Available Balance: 2023.65";
const INSTAPAY: &str = "تم استلام مبلغ 9272.52 جنيه من ؛ المسجل بإسم MONA S FARID على رقم محفظتك 01060000001 بتاريخ 23:25 26-07-13. رصيدك الحالي: 10006.28 جنيه رقم العملية: 021600000042";
const PROMOTION: &str = "مبروك كسبت 50 جنيه كاش باك على محفظتك! استخدم فودافون كاش في الدفع واكسب أكتر http://vf.eg/vfcash";
const WRONG_SENDER_TEXT: &str = "تم استلام مبلغ 5000 جنيه من رقم 01012345678 المسجل بإسم X على رقم محفظتك 01011112222.\nرقم العملية: 019999999999";

/// Every sample text that is a valid receipt.
const RECEIPTS: [&str; 4] = [ARABIC_ONE_LINE, ARABIC_MULTI_LINE, ENGLISH, INSTAPAY];

/// Every sample text, receipts or not.
const ALL_SAMPLES: [&str; 6] = [
    ARABIC_ONE_LINE,
    ARABIC_MULTI_LINE,
    ENGLISH,
    INSTAPAY,
    PROMOTION,
    WRONG_SENDER_TEXT,
];

fn parse(text: &str) -> Result<ParsedSms, SmsError> {
    parse_sms(SENDER, text)
}

fn parse_ok(text: &str) -> ParsedSms {
    parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Asserts that `p`'s canonical text parses back to the same transaction.
fn assert_round_trips(p: &ParsedSms) {
    let text = p.to_sms_text();
    let again = parse(&text).unwrap_or_else(|e| panic!("canonical text {text:?}: {e}"));
    assert!(
        p.same_transaction(&again),
        "{p:#?}\nre-parsed from {text:?} as\n{again:#?}"
    );
}
