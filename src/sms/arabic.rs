//! The Arabic receipt, on one line or several:
//!
//! `تم استلام مبلغ <amount> جنيه من [رقم] <phone|empty> [؛] المسجل بإسم
//! <name> على رقم محفظتك <wallet> رصيدك الحالي: <balance> جنيه
//! تاريخ العملية: HH:MM YY-MM-DD رقم العملية: <id>` and marketing after.
//!
//! The head (amount, currency, payer) is read in order, since `من` also
//! occurs in the marketing tail. The labelled fields come after the payer's
//! name, which is whatever the payer registered and may itself quote a
//! label (`Ali رقم العملية 099999999999`). So each field is read at the
//! *last* occurrence of its label in the receipt's own lines: its own line
//! in the multi-line layout, after the name in the one-line layout. The
//! receipt's own lines are the payer's line and every line up to the last
//! one that begins with a label; marketing lines after them are not read.
//! The name then runs up to the first field actually read after it.

use super::fields::{
    find_any, read_amount, read_balance, read_phone, read_trans_id, rfind_any, skip_sep,
    unparseable,
};
use super::time::{cairo_timestamp, take_arabic_stamp};
use super::types::{Field, Layout, ParsedSms, SmsError};
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
/// Labels that may begin a line of the receipt (not of its marketing).
const LINE_LABELS: [&[&str]; 5] = [NAME, WALLET, BALANCE, TIME, TRANS_ID];
/// Where a payer's name stops at the latest: a line end or the Arabic
/// semicolon. A name that keeps neither re-parses to itself.
const NAME_ENDS: &[&str] = &["\n", "؛"];
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
    let receipt = own_lines(body);
    let trans_id_at = rfind_any(receipt, TRANS_ID).ok_or(unparseable(Field::TransId))?;
    let trans_id = read_trans_id(value_at(receipt, trans_id_at))?;
    let time_at = rfind_any(receipt, TIME).ok_or(unparseable(Field::Time))?;
    let local_time =
        take_arabic_stamp(value_at(receipt, time_at)).ok_or(unparseable(Field::Time))?;
    let received_at = cairo_timestamp(local_time).ok_or(unparseable(Field::Time))?;
    let wallet_at = rfind_any(receipt, WALLET);
    let wallet = wallet_at
        .map(|at| read_wallet(value_at(receipt, at)))
        .transpose()?;
    let balance_at = rfind_any(receipt, BALANCE);
    let balance = balance_at
        .map(|at| read_balance(value_at(receipt, at)))
        .transpose()?;
    let fields_read = [Some(trans_id_at), Some(time_at), wallet_at, balance_at];
    let payer_name = find_any(receipt, NAME)
        .map(|(_, start)| read_name(receipt, start, fields_read.into_iter().flatten()))
        .transpose()?
        .flatten();
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

/// The receipt's own lines of `body` (the text after the payer): its first
/// line and every line up to the last one that begins with a label.
fn own_lines(body: &str) -> &str {
    let mut end = 0;
    let mut offset = 0;
    for (index, line) in body.split_inclusive('\n').enumerate() {
        offset += line.len();
        if index == 0 || begins_with_label(line) {
            end = offset;
        }
    }
    body.get(..end).unwrap_or(body)
}

fn begins_with_label(line: &str) -> bool {
    let line = line.trim_start_matches(' ');
    LINE_LABELS
        .iter()
        .flat_map(|labels| labels.iter())
        .any(|label| line.starts_with(label))
}

/// The value after the label found at `at` and its separator.
fn value_at(hay: &str, at: (usize, usize)) -> &str {
    hay.get(at.1..).map(skip_sep).unwrap_or("")
}

/// Reads the payer's name from `start` up to the first field read after
/// it (`fields_read`: where each field's label was found), a line end or
/// `؛`, without the punctuation around it; `None` when nothing is left.
fn read_name(
    receipt: &str,
    start: usize,
    fields_read: impl Iterator<Item = (usize, usize)>,
) -> Result<Option<String>, SmsError> {
    let rest = receipt.get(start..).unwrap_or("");
    let hard_end = find_any(rest, NAME_ENDS).map_or(rest.len(), |(end, _)| end);
    let end = fields_read
        .filter_map(|(label_start, _)| label_start.checked_sub(start))
        .fold(hard_end, usize::min);
    let name = rest
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
