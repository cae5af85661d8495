//! Token helpers shared by both layouts: normalising the text, finding
//! markers, and reading numbers, phones and transaction ids.
//!
//! Readers take the text right after a marker and return the value and the
//! rest. Every split happens at an index that `str` search or an ASCII-only
//! scan returned, always a char boundary, and goes through `get`/
//! `split_at_checked` anyway, so no input can make them panic.

use std::ops::RangeInclusive;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::types::{Field, SmsError};
use crate::domain::{self, Amount, Phone, TransId};

/// Digits a transaction id may have. Vodafone prints 12 today; the slack
/// keeps a small format change from dropping payments, while a stray short
/// number (a fee, a year) is still not taken for an id.
const TRANS_ID_DIGITS: RangeInclusive<usize> = 10..=16;
/// Integer digits of a balance worth believing: no wallet holds 10^12 EGP.
const BALANCE_INTEGER_DIGITS_MAX: usize = 12;

pub(super) fn unparseable(field: Field) -> SmsError {
    SmsError::Unparseable(field)
}

/// One spelling for everything the texts spell several ways: ASCII digits,
/// `\n` line ends, one space between words and none around line ends, the
/// Arabic comma and separators as ASCII, and no invisible direction marks.
/// Applying it twice changes nothing, which the round trip relies on.
pub(super) fn normalise(text: &str) -> String {
    let digits = domain::normalise(text);
    let mut out = String::with_capacity(digits.len());
    for c in digits.chars().filter_map(unify) {
        match c {
            ' ' if out.is_empty() || out.ends_with([' ', '\n']) => {}
            '\n' => {
                out.truncate(out.trim_end_matches(' ').len());
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            c => out.push(c),
        }
    }
    out.truncate(out.trim_end_matches([' ', '\n']).len());
    out
}

/// Maps one character to its normal spelling; `None` drops it.
fn unify(c: char) -> Option<char> {
    match c {
        '\r' | '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}' => Some('\n'),
        // Arabic comma and thousands separator; Arabic decimal point.
        '\u{060C}' | '\u{066C}' => Some(','),
        '\u{066B}' => Some('.'),
        // Direction marks, zero-width joiners, isolates, BOM, soft hyphen:
        // invisible, but they would split markers and numbers.
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' => None,
        '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' => None,
        c if c.is_whitespace() || c.is_control() => Some(' '),
        c => Some(c),
    }
}

/// The earliest occurrence of any of `needles`, as (start, end).
pub(super) fn find_any(hay: &str, needles: &[&str]) -> Option<(usize, usize)> {
    needles
        .iter()
        .filter_map(|n| hay.find(n).map(|start| (start, start + n.len())))
        .min()
}

/// The latest occurrence of any of `needles`, as (start, end).
pub(super) fn rfind_any(hay: &str, needles: &[&str]) -> Option<(usize, usize)> {
    needles
        .iter()
        .filter_map(|n| hay.rfind(n).map(|start| (start, start + n.len())))
        .max()
}

/// Skips the spaces and the one optional `:` between a label and its value.
pub(super) fn skip_sep(s: &str) -> &str {
    let s = s.trim_start_matches(' ');
    s.strip_prefix(':').unwrap_or(s).trim_start_matches(' ')
}

/// Splits `s` after its longest prefix of chars matching `keep`.
pub(super) fn take_while(s: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = s.find(|c: char| !keep(c)).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

pub(super) fn take_digits(s: &str) -> (&str, &str) {
    take_while(s, |c| c.is_ascii_digit())
}

/// Takes a number like `1250`, `1250.75` or `1,250.75`: digits, with `,`
/// and `.` kept only between two digits, so a full stop or comma ending a
/// sentence right after the number is left alone.
fn take_number(s: &str) -> (&str, &str) {
    let bytes = s.as_bytes();
    let mut end = 0;
    while let Some(&b) = bytes.get(end) {
        let joins = matches!(b, b',' | b'.')
            && end > 0
            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        if !(b.is_ascii_digit() || joins) {
            break;
        }
        end += 1;
    }
    // `end` only ever passes ASCII bytes, so it is a char boundary.
    s.split_at_checked(end).unwrap_or((s, ""))
}

/// `1,250.75` → `1250.75`, refusing commas that are not thousands groups
/// (`1,25` could be a decimal comma) and a second point.
fn ungroup(token: &str) -> Option<String> {
    let (int, frac) = token.split_once('.').unwrap_or((token, ""));
    if frac.contains([',', '.']) {
        return None;
    }
    if int.contains(',') {
        let mut groups = int.split(',');
        let lead = groups.next().map_or(0, str::len);
        if !(1..=3).contains(&lead) || !groups.all(|g| g.len() == 3) {
            return None;
        }
    }
    let digits: String = int.chars().filter(|&c| c != ',').collect();
    Some(if token.contains('.') {
        format!("{digits}.{frac}")
    } else {
        digits
    })
}

/// Reads the received amount.
pub(super) fn read_amount(s: &str) -> Result<(Amount, &str), SmsError> {
    let (token, rest) = take_number(s);
    let amount = ungroup(token).and_then(|plain| Amount::parse(&plain).ok());
    amount.map(|a| (a, rest)).ok_or(unparseable(Field::Amount))
}

/// Reads a wallet balance: zero or more, at most two places.
pub(super) fn read_balance(s: &str) -> Result<Decimal, SmsError> {
    let (token, _) = take_number(s);
    let plain = ungroup(token).ok_or(unparseable(Field::Balance))?;
    let int = plain.split('.').next().unwrap_or("");
    if int.is_empty() || int.trim_start_matches('0').len() > BALANCE_INTEGER_DIGITS_MAX {
        return Err(unparseable(Field::Balance));
    }
    let value = Decimal::from_str(&plain).map_err(|_| unparseable(Field::Balance))?;
    if value.normalize().scale() > 2 {
        return Err(unparseable(Field::Balance));
    }
    Ok(value)
}

/// Reads a phone as the texts print it (an optional `+`, then digits):
/// `None` when there is none, as after InstaPay's empty `من ؛`.
pub(super) fn read_phone(s: &str, field: Field) -> Result<(Option<Phone>, &str), SmsError> {
    let (sign, unsigned) = match s.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", s),
    };
    let (digits, rest) = take_digits(unsigned);
    if sign.is_empty() && digits.is_empty() {
        return Ok((None, s));
    }
    let phone = Phone::parse(&format!("{sign}{digits}")).map_err(|_| unparseable(field))?;
    Ok((Some(phone), rest))
}

/// Reads the operator's transaction id: a run of digits, kept as text so
/// its leading zero survives. A glued `.` or word after it is not part.
pub(super) fn read_trans_id(s: &str) -> Result<TransId, SmsError> {
    let (digits, _) = take_digits(s);
    if !TRANS_ID_DIGITS.contains(&digits.len()) {
        return Err(unparseable(Field::TransId));
    }
    TransId::parse(digits).map_err(|_| unparseable(Field::TransId))
}
