//! Unit tests of the invoice parts: the refusals of `GetInvoice` and
//! `ApplyCredit`, money fields in every shape, and the invoice readers.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;
use crate::domain::{ClientId, InvoiceId};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn invoice_id(n: u32) -> InvoiceId {
    InvoiceId::try_from(n).unwrap()
}

/// The largest amount in cents that WHMCS's `decimal(16,2)` holds.
const MOST_CENTS: i64 = 9_999_999_999_999_999;

/// Whether an error is the expected kind.
type Expect<E> = fn(&E) -> bool;

fn refusal_of(status: u16, message: &str) -> Rejection {
    let body = json!({"result": "error", "message": message}).to_string();
    match classify(status, body.as_bytes()) {
        CallOutcome::Permanent(r) => r,
        other => panic!("{message}: expected Permanent, got {other:?}"),
    }
}

#[test]
fn invoice_refusals_are_typed_and_do_not_trip_the_breaker() {
    let cases = [
        ("Invoice ID Not Found", WhmcsRefusal::InvoiceNotFound),
        (
            "Invoice Not in Unpaid Status",
            WhmcsRefusal::InvoiceNotUnpaid,
        ),
        (
            "Amount exceeds customer credit balance",
            WhmcsRefusal::CreditBalanceTooLow,
        ),
        (
            "Amount Exceeds Invoice Balance",
            WhmcsRefusal::ExceedsInvoiceBalance,
        ),
        (
            "Credit Amount to apply must be greater than zero",
            WhmcsRefusal::AmountNotPositive,
        ),
        (
            "invoice not in unpaid status ",
            WhmcsRefusal::InvoiceNotUnpaid,
        ),
        ("Invoice Not in Unpaid Status!", WhmcsRefusal::Other),
    ];
    for (message, refusal) in cases {
        let r = refusal_of(200, message);
        assert_eq!(r.refusal, refusal, "{message}");
        assert_eq!(r.http_status, 200);
        assert!(!r.trips_breaker(), "{message}");
    }
}

#[test]
fn missing_invoice_permissions_trip_the_breaker() {
    for action in ["applycredit", "getinvoice"] {
        let message = format!("Invalid Permissions: API action \"{action}\" is not allowed");
        let r = refusal_of(403, &message);
        let expected = WhmcsRefusal::Permission {
            action: action.into(),
        };
        assert_eq!(r.refusal, expected);
        assert!(r.trips_breaker(), "{message}");
    }
}

#[test]
fn money_is_read_from_strings_and_numbers() {
    let cases = [
        (json!("6.21"), "6.21"),
        (json!(" 6.21 "), "6.21"),
        (json!("6.2100"), "6.21"),
        (json!("7"), "7.00"),
        (json!("0.00"), "0.00"),
        (json!("-1.50"), "-1.50"),
        (json!("0006.50"), "6.50"),
        (json!("99999999999999.99"), "99999999999999.99"),
        (json!(6.21), "6.21"),
        (json!(7), "7.00"),
        (json!(100.0), "100.00"),
        (json!(-2.5), "-2.50"),
    ];
    for (value, expected) in cases {
        let read = money(&value).unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(read, dec(expected), "{value}");
        assert_eq!(read.to_string(), expected, "two places: {value}");
    }
}

#[test]
fn money_in_any_other_shape_is_refused_with_the_reason() {
    use MoneyError as E;
    let cases: [(Value, Expect<MoneyError>); 19] = [
        (json!("1e3"), |e| matches!(e, E::Exponent(_))),
        (json!("6.21E-2"), |e| matches!(e, E::Exponent(_))),
        (json!("-1e+3"), |e| matches!(e, E::Exponent(_))),
        (json!(1e21), |e| matches!(e, E::Exponent(_))),
        (json!(1e-7), |e| matches!(e, E::Exponent(_))),
        (json!("1,000.00"), |e| matches!(e, E::ThousandsSeparator(_))),
        (json!("6,21"), |e| matches!(e, E::ThousandsSeparator(_))),
        (json!("6.215"), |e| matches!(e, E::TooManyPlaces(_))),
        (json!(0.30000000000000004), |e| {
            matches!(e, E::TooManyPlaces(_))
        }),
        (json!("123456789012345.00"), |e| matches!(e, E::TooLarge(_))),
        (json!("1".repeat(40)), |e| matches!(e, E::TooLong)),
        (json!(""), |e| matches!(e, E::Empty)),
        (json!("+6.21"), |e| matches!(e, E::NotDecimal(_))),
        (json!("6."), |e| matches!(e, E::NotDecimal(_))),
        (json!(".5"), |e| matches!(e, E::NotDecimal(_))),
        (json!("$6.21"), |e| matches!(e, E::NotDecimal(_))),
        (json!("NaN"), |e| matches!(e, E::NotDecimal(_))),
        (json!(null), |e| matches!(e, E::NotText(_))),
        (json!(true), |e| matches!(e, E::NotText(_))),
    ];
    for (value, expected) in cases {
        match money(&value) {
            Err(e) => assert!(expected(&e), "{value}: {e:?}"),
            Ok(v) => panic!("{value} was read as {v}"),
        }
    }
    let e = money_text("1e3").unwrap_err().to_string();
    assert!(e.contains("exponent"), "{e}");
    assert!(money(&json!(["6.21"])).is_err());
    assert!(money(&json!({"amount": "6.21"})).is_err());
    assert!(money_text("6.21 EGP").is_err());
    assert!(
        money_text("٦٫٢١").is_err(),
        "Arabic-Indic digits are not WHMCS's"
    );
}

/// The sample `GetInvoice` answer, with fields replaced.
fn get_invoice_answer(changes: Value) -> Value {
    let mut answer = json!({"result": "success", "invoiceid": "1033", "invoicenum": "",
        "userid": "42", "status": "Unpaid", "total": "6.21", "credit": "0.00",
        "balance": "6.21", "currencycode": "USD", "transactions": {"transaction": []}});
    if let (Some(target), Some(changes)) = (answer.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            if v.is_null() {
                target.remove(k);
            } else {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    answer
}

#[test]
fn a_get_invoice_answer_is_read_whole() {
    let invoice = read_invoice(&get_invoice_answer(json!({})), invoice_id(1033)).unwrap();
    assert_eq!(
        invoice,
        Invoice {
            id: invoice_id(1033),
            client: ClientId::try_from(42).unwrap(),
            status: InvoiceStatus::Unpaid,
            total: dec("6.21"),
            credit: dec("0.00"),
            balance: dec("6.21"),
        }
    );
    let numbers = json!({"invoiceid": 1033, "userid": 42, "total": 6.21,
        "credit": 1.5, "balance": 4.71, "status": "Payment Pending"});
    let invoice = read_invoice(&get_invoice_answer(numbers), invoice_id(1033)).unwrap();
    assert_eq!(invoice.balance, dec("4.71"));
    assert_eq!(invoice.credit, dec("1.50"));
    assert_eq!(invoice.status, InvoiceStatus::PaymentPending);
    assert!(!invoice.status.is_unpaid());
    let no_id = get_invoice_answer(json!({"invoiceid": null}));
    assert_eq!(
        read_invoice(&no_id, invoice_id(1033)).unwrap().id.get(),
        1033
    );
}

#[test]
fn every_status_is_read_and_unknown_ones_are_kept() {
    let cases = [
        ("Draft", InvoiceStatus::Draft),
        ("Unpaid", InvoiceStatus::Unpaid),
        ("unpaid", InvoiceStatus::Unpaid),
        ("Paid", InvoiceStatus::Paid),
        ("Cancelled", InvoiceStatus::Cancelled),
        ("Refunded", InvoiceStatus::Refunded),
        ("Collections", InvoiceStatus::Collections),
        ("Payment Pending", InvoiceStatus::PaymentPending),
        ("Overdue", InvoiceStatus::Other("Overdue".into())),
    ];
    for (text, status) in cases {
        assert_eq!(InvoiceStatus::from_text(text), status, "{text}");
        assert_eq!(status.is_unpaid(), text.eq_ignore_ascii_case("unpaid"));
    }
    let long = "x".repeat(500);
    let InvoiceStatus::Other(kept) = InvoiceStatus::from_text(&long) else {
        panic!("an unknown status");
    };
    assert!(kept.chars().count() <= 41, "{kept}");
}

#[test]
fn get_invoice_answers_that_cannot_be_trusted_are_refused() {
    use InvoiceAnswerError as E;
    let asked = invoice_id(1033);
    let cases: [(Value, Expect<InvoiceAnswerError>); 9] = [
        (json!({"invoiceid": "1034"}), |e| {
            matches!(e, E::OtherInvoice { .. })
        }),
        (json!({"invoiceid": "abc"}), |e| {
            matches!(e, E::OtherInvoice { .. })
        }),
        (json!({"userid": null}), |e| {
            matches!(e, E::Missing("userid"))
        }),
        (json!({"userid": "0"}), |e| matches!(e, E::Client(_))),
        (json!({"status": null}), |e| {
            matches!(e, E::Missing("status"))
        }),
        (json!({"status": 1}), |e| matches!(e, E::Status)),
        (json!({"balance": null}), |e| {
            matches!(
                e,
                E::Money {
                    field: "balance",
                    source: MoneyError::Missing
                }
            )
        }),
        (json!({"total": "6,21"}), |e| {
            matches!(e, E::Money { field: "total", .. })
        }),
        (json!({"credit": 1e30}), |e| {
            matches!(
                e,
                E::Money {
                    field: "credit",
                    ..
                }
            )
        }),
    ];
    for (changes, expected) in cases {
        let answer = get_invoice_answer(changes.clone());
        match read_invoice(&answer, asked) {
            Err(e) => assert!(expected(&e), "{changes}: {e:?}"),
            Ok(v) => panic!("{changes} was read as {v:?}"),
        }
    }
}

#[test]
fn an_apply_credit_answer_says_what_was_applied() {
    let asked = invoice_id(1033);
    let sample = json!({"result": "success", "invoiceid": "1033", "amount": "6.21",
        "invoicepaid": "true"});
    let applied = read_applied_credit(&sample, asked).unwrap();
    assert_eq!(
        applied,
        AppliedCredit {
            invoice: asked,
            amount: Some(dec("6.21")),
            invoice_paid: Some(true),
        }
    );
    let partial = json!({"result": "success", "invoiceid": 1033, "amount": 2.5,
        "invoicepaid": "false"});
    let applied = read_applied_credit(&partial, asked).unwrap();
    assert_eq!(
        (applied.amount, applied.invoice_paid),
        (Some(dec("2.50")), Some(false))
    );
    let bare = json!({"result": "success"});
    let applied = read_applied_credit(&bare, asked).unwrap();
    assert_eq!((applied.amount, applied.invoice_paid), (None, None));
    let odd = json!({"result": "success", "amount": "1e2", "invoicepaid": "yes"});
    let applied = read_applied_credit(&odd, asked).unwrap();
    assert_eq!((applied.amount, applied.invoice_paid), (None, None));
    let other = json!({"result": "success", "invoiceid": "7", "amount": "6.21"});
    assert!(matches!(
        read_applied_credit(&other, asked),
        Err(InvoiceAnswerError::OtherInvoice { .. })
    ));
}

proptest! {
    /// Any text: no panic, and whatever is accepted has two places and is
    /// the decimal the text says.
    #[test]
    fn money_text_is_total_and_exact(text in prop_oneof![
        ".{0,40}",
        "-?[0-9]{1,16}(\\.[0-9]{0,5})?",
        "[0-9eE.,+-]{1,12}",
    ]) {
        if let Ok(value) = money_text(&text) {
            prop_assert_eq!(value.scale(), 2);
            prop_assert_eq!(Decimal::from_str(text.trim()).ok(), Some(value));
        }
    }

    /// Every amount WHMCS can store reads back exactly, as a string and
    /// as a number with at most two places.
    #[test]
    fn every_stored_amount_reads_back(cents in -MOST_CENTS..MOST_CENTS) {
        let value = Decimal::new(cents, 2);
        prop_assert_eq!(money(&json!(value.to_string())), Ok(value));
        if cents.unsigned_abs() < 1 << 50 {
            let number: f64 = value.to_string().parse().unwrap();
            prop_assert_eq!(money(&json!(number)), Ok(value));
        }
    }
}
