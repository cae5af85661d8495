//! Arbitrary status codes and bodies into the WHMCS answer classifier:
//! always exactly one class, never success unless the body says success.
//! A success body then goes through the invoice readers (`GetInvoice`,
//! `ApplyCredit`) and the money reader: no panic, and whatever they accept
//! is exact (two places, reads back the same, the invoice asked about).
//! Input: the status's two bytes (big-endian) then the body.
#![no_main]

use cashgate::domain::InvoiceId;
use cashgate::whmcs::{
    CallOutcome, classify, money, money_text, read_applied_credit, read_invoice,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// An accepted amount has two places and reads back as itself. (A macro,
/// so the money type need not be named: this crate does not depend on it.)
macro_rules! exact_money {
    ($read:expr) => {
        if let Ok(amount) = $read {
            assert_eq!(amount.scale(), 2, "{amount}");
            assert_eq!(money_text(&amount.to_string()).ok(), Some(amount));
        }
    };
}

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
            invoice_readers(&value);
        }
        CallOutcome::Permanent(_) | CallOutcome::Transient(_) | CallOutcome::Unknown(_) => {}
    }
    if let Ok(text) = std::str::from_utf8(body) {
        exact_money!(money_text(text));
    }
});

/// The readers of a success body, asked about invoice 1033.
fn invoice_readers(answer: &Value) {
    let asked = InvoiceId::try_from(1033).expect("a valid id");
    if let Ok(invoice) = read_invoice(answer, asked) {
        assert_eq!(invoice.id, asked);
        for amount in [invoice.total, invoice.credit, invoice.balance] {
            exact_money!(Ok::<_, ()>(amount));
        }
    }
    if let Ok(applied) = read_applied_credit(answer, asked) {
        assert_eq!(applied.invoice, asked);
        exact_money!(applied.amount.ok_or(()));
    }
    if let Value::Object(fields) = answer {
        for value in fields.values() {
            exact_money!(money(value));
        }
    }
}

