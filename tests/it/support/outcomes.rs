//! Reading the WHMCS client's answers in tests: the refusal inside a
//! permanent outcome, an unknown outcome, a preflight's failing items.

use std::str::FromStr;

use cashgate::whmcs::{CallOutcome, Preflight, Rejection};
use rust_decimal::Decimal;

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

pub fn rejection<T: std::fmt::Debug>(o: CallOutcome<T>) -> Rejection {
    match o {
        CallOutcome::Permanent(r) => r,
        other => panic!("expected a Permanent outcome, got {other:?}"),
    }
}

pub fn assert_unknown<T: std::fmt::Debug>(o: &CallOutcome<T>) {
    assert!(
        matches!(o, CallOutcome::Unknown(_)),
        "expected Unknown: {o:?}"
    );
}

/// The names of a preflight's failing items.
pub fn failing(p: &Preflight) -> Vec<&str> {
    p.checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect()
}
