//! Reading a money field of a WHMCS answer into a [`Decimal`].
//!
//! WHMCS keeps money in `decimal(16,2)` columns and prints it as a string
//! (`"6.21"`); some versions send a JSON number (`6.21`), which PHP printed
//! from a float. Both are read through the same text rules, so a number is
//! never taken as a float: plain digits, an optional leading `-`, an
//! optional `.` and at most two significant decimal places. Exponents,
//! thousands separators, signs like `+`, currency symbols, `NaN` and
//! anything else are refused with the reason, because an amount that is
//! read wrongly pays the wrong amount.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

/// Longest money text read, in characters: room for a sign, every digit
/// WHMCS can store, and trailing zeros.
pub const MONEY_CHARS_MAX: usize = 32;
/// Most digits before the point (leading zeros aside): WHMCS's money
/// columns are `decimal(16,2)`.
pub const MONEY_WHOLE_DIGITS_MAX: usize = 14;

/// Why a money field could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("missing")]
    Missing,
    #[error("empty")]
    Empty,
    #[error("not a string or a number: {0}")]
    NotText(&'static str),
    #[error("longer than {MONEY_CHARS_MAX} characters")]
    TooLong,
    #[error("{0:?} has an exponent; WHMCS money is plain digits")]
    Exponent(String),
    #[error("{0:?} has a thousands separator")]
    ThousandsSeparator(String),
    #[error("{0:?} is not a plain decimal number")]
    NotDecimal(String),
    #[error("{0:?} has more than two decimal places")]
    TooManyPlaces(String),
    #[error("{0:?} has more than {MONEY_WHOLE_DIGITS_MAX} digits before the point")]
    TooLarge(String),
}

/// The money field `name` of `answer`.
pub fn money_field(answer: &Value, name: &str) -> Result<Decimal, MoneyError> {
    money(answer.get(name).ok_or(MoneyError::Missing)?)
}

/// A money value given as a JSON string or number.
pub fn money(value: &Value) -> Result<Decimal, MoneyError> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        // serde_json prints a float the shortest way that reads back the
        // same (`6.21`, `1e21`); the text rules below then apply.
        Value::Number(n) => n.to_string(),
        Value::Null => return Err(MoneyError::NotText("null")),
        Value::Bool(_) => return Err(MoneyError::NotText("a boolean")),
        Value::Array(_) => return Err(MoneyError::NotText("a list")),
        Value::Object(_) => return Err(MoneyError::NotText("an object")),
    };
    money_text(&text)
}

/// `-?digits(.digits)?`, at most two places once trailing zeros are
/// dropped (`"6.2100"` is 6.21; `"6.215"` is refused). The value comes
/// back with exactly two places (`"7"` is 7.00).
pub fn money_text(text: &str) -> Result<Decimal, MoneyError> {
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if text.chars().count() > MONEY_CHARS_MAX {
        return Err(MoneyError::TooLong);
    }
    let owned = || text.to_owned();
    if has_exponent(text) {
        return Err(MoneyError::Exponent(owned()));
    }
    if text.contains(',') {
        return Err(MoneyError::ThousandsSeparator(owned()));
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, places) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let point_ok = !digits.contains('.') || !places.is_empty();
    if whole.is_empty() || !all_digits(whole) || !all_digits(places) || !point_ok {
        return Err(MoneyError::NotDecimal(owned()));
    }
    if whole.trim_start_matches('0').len() > MONEY_WHOLE_DIGITS_MAX {
        return Err(MoneyError::TooLarge(owned()));
    }
    let parsed = Decimal::from_str(text).map_err(|_| MoneyError::NotDecimal(owned()))?;
    let mut value = parsed.normalize();
    if value.scale() > 2 {
        return Err(MoneyError::TooManyPlaces(owned()));
    }
    value.rescale(2);
    Ok(value)
}

/// Scientific notation like `1e21`, `6.21E-2` or `-1e+3`.
fn has_exponent(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return false;
    };
    let mantissa = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let numeric = |s: &str, point: bool| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (point && b == b'.'))
    };
    numeric(mantissa, true) && numeric(exponent, false)
}
