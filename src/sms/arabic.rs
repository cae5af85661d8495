//! The Arabic receipt, on one line or several:
//!
//! `تم استلام مبلغ <amount> جنيه من [رقم] <phone|empty> [؛] المسجل بإسم
//! <name> على رقم محفظتك <wallet> رصيدك الحالي: <balance> جنيه
//! تاريخ العملية: HH:MM YY-MM-DD رقم العملية: <id>` and marketing after.
//!
//! The head (amount, currency, payer) is read in order, since `من` also
//! occurs in the marketing tail. The labelled fields after it are found by
//! their first label, in whatever order they come.

use super::fields::{
    after_any, find_any, read_amount, read_balance, read_phone, read_trans_id, skip_sep,
    unparseable,
};
use super::time::{cairo_timestamp, take_arabic_stamp};
use super::{Field, Layout, ParsedSms, SmsError};
use crate::domain::Phone;

/// "Amount received": the one marker that makes a text a receipt.
const RECEIVED: &[&str] = &["تم استلام مبلغ"];
/// The currency word after the amount (with the common misspelling).
const CURRENCY: &[&str] = &["جنيه", "جنية", "ج.م", "EGP"];
const FROM: &str = "من";
const NUMBER: &str = "رقم";
const NAME: &[&str] = &["المسجل بإسم", "المسجل باسم"];
const WALLET: &[&str] = &["على رقم محفظتك", "علي رقم محفظتك"];
const BALANCE: &[&str] = &["رصيدك الحالي"];
const TIME: &[&str] = &["تاريخ العملية", "بتاريخ"];
const TRANS_ID: &[&str] = &["رقم العملية"];
/// Where a payer's name stops: a line end, the Arabic semicolon, or the
/// next label. A name that keeps none of these re-parses to itself.
const NAME_ENDS: &[&str] = &[
    "\n",
    "؛",
    "المسجل بإسم",
    "المسجل باسم",
    "على رقم محفظتك",
    "علي رقم محفظتك",
    "رصيدك",
    "تاريخ العملية",
    "بتاريخ",
    "رقم العملية",
];
/// Longest payer name believed; a longer one means the layout was misread.
const NAME_CHARS_MAX: usize = 100;

/// Where the "amount received" marker is in normalised text: (start, end).
pub(super) fn find_marker(text: &str) -> Option<(usize, usize)> {
    find_any(text, RECEIVED)
}

/// Parses normalised `text` whose marker is at `marker`.
pub(super) fn parse(text: &str, marker: (usize, usize)) -> Result<ParsedSms, SmsError> {
    let head = text.get(marker.1..).map(skip_sep).unwrap_or("");
    let (amount, rest) = read_amount(head)?;
    let rest = strip_currency(rest).ok_or(unparseable(Field::Amount))?;
    let (phone, body) = read_payer(rest)?;
    let trans_id = after_any(body, TRANS_ID)
        .ok_or(unparseable(Field::TransId))
        .and_then(read_trans_id)?;
    let local_time = after_any(body, TIME)
        .and_then(take_arabic_stamp)
        .ok_or(unparseable(Field::Time))?;
    let received_at = cairo_timestamp(local_time).ok_or(unparseable(Field::Time))?;
    let wallet = after_any(body, WALLET).map(read_wallet).transpose()?;
    let balance = after_any(body, BALANCE).map(read_balance).transpose()?;
    let payer_name = after_any(body, NAME).map(read_name).transpose()?.flatten();
    Ok(ParsedSms {
        amount,
        phone,
        trans_id,
        payer_name,
        wallet,
        balance,
        received_at,
        local_time,
        layout: Layout::Arabic,
    })
}

fn strip_currency(s: &str) -> Option<&str> {
    let s = s.trim_start_matches(' ');
    CURRENCY.iter().find_map(|c| s.strip_prefix(c))
}

/// Reads `من [رقم] <phone>`; the phone may be absent (InstaPay) or glued
/// to a following `؛`. Returns the phone and the text after it.
fn read_payer(s: &str) -> Result<(Option<Phone>, &str), SmsError> {
    let rest = s
        .trim_start_matches(' ')
        .strip_prefix(FROM)
        .filter(|r| !r.starts_with(char::is_alphabetic))
        .ok_or(unparseable(Field::Phone))?;
    let rest = rest.trim_start_matches(' ');
    let rest = rest.strip_prefix(NUMBER).unwrap_or(rest);
    read_phone(skip_sep(rest), Field::Phone)
}

fn read_wallet(s: &str) -> Result<Phone, SmsError> {
    match read_phone(s, Field::Wallet)? {
        (Some(wallet), _) => Ok(wallet),
        (None, _) => Err(unparseable(Field::Wallet)),
    }
}

/// Reads the payer's name up to the next label or line end, without the
/// punctuation around it; `None` when nothing is left.
fn read_name(s: &str) -> Result<Option<String>, SmsError> {
    let end = find_any(s, NAME_ENDS).map_or(s.len(), |(start, _)| start);
    let name = s
        .get(..end)
        .unwrap_or("")
        .trim_matches(|c| matches!(c, ' ' | ':' | '.' | ','));
    if name.is_empty() {
        Ok(None)
    } else if name.chars().count() > NAME_CHARS_MAX {
        Err(unparseable(Field::PayerName))
    } else {
        Ok(Some(name.to_owned()))
    }
}
