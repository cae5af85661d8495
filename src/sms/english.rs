//! The English receipt:
//!
//! `Apr 30, 2026 4:44:09 PM: Received EGP10 from 00201055512345 to Mobile
//! Account Number 2559. Ref: 019589800001 Available Balance: 2023.65`
//!
//! Read from the ASCII-lower-cased normalised text: nothing kept from this
//! layout depends on case. The date-time comes before the marker; amount
//! and payer follow it in order; `Ref` and `Balance` are found by their
//! last label, as in the Arabic layout, so that text printed between the
//! payer and them (a name, should the layout ever carry one) cannot
//! supply them.

use super::fields::{
    read_amount, read_balance, read_phone, read_trans_id, skip_sep, take_while, unparseable,
};
use super::time::{Clock, cairo_timestamp, civil, take_clock, take_small, take_year};
use super::types::{Field, Layout, ParsedSms, SmsError};
use jiff::civil::DateTime;

const RECEIVED: &str = "received egp";
const FROM: &str = "from";
const REF: &str = "ref";
const BALANCE: &str = "balance";
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Where the "received EGP" marker is in lower-cased text: (start, end).
pub(super) fn find_marker(lower: &str) -> Option<(usize, usize)> {
    find_word(lower, RECEIVED)
}

/// Parses lower-cased normalised `lower` whose marker is at `marker`.
pub(super) fn parse(lower: &str, marker: (usize, usize)) -> Result<ParsedSms, SmsError> {
    let before = lower.get(..marker.0).unwrap_or("");
    let after = lower.get(marker.1..).map(skip_sep).unwrap_or("");
    let (amount, rest) = read_amount(after)?;
    let rest = strip_word(rest.trim_start_matches(' '), FROM).ok_or(unparseable(Field::Phone))?;
    let (phone, body) = read_phone(skip_sep(rest), Field::Phone)?;
    let trans_id = after_last_word(body, REF)
        .ok_or(unparseable(Field::TransId))
        .and_then(read_trans_id)?;
    let local_time = find_stamp(before).ok_or(unparseable(Field::Time))?;
    let received_at = cairo_timestamp(local_time).ok_or(unparseable(Field::Time))?;
    let balance = after_last_word(body, BALANCE)
        .map(read_balance)
        .transpose()?;
    Ok(ParsedSms {
        amount,
        phone,
        trans_id,
        payer_name: None,
        wallet: None,
        balance,
        received_at,
        local_time,
        layout: Layout::English,
    })
}

/// The first `word` in `hay` that is not inside a longer word (a digit may
/// follow, as in `egp10`): (start, end).
fn find_word(hay: &str, word: &str) -> Option<(usize, usize)> {
    words(hay, word).next()
}

/// Every `word` in `hay` that is not inside a longer word, in order.
fn words<'a>(hay: &'a str, word: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    hay.match_indices(word)
        .map(|(start, _)| (start, start + word.len()))
        .filter(|&(start, end)| {
            let before = hay.get(..start).and_then(|s| s.chars().next_back());
            let after = hay.get(end..).and_then(|s| s.chars().next());
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphabetic)
        })
}

/// The text after the last `word` in `hay` and its separator, if any.
fn after_last_word<'a>(hay: &'a str, word: &str) -> Option<&'a str> {
    let (_, end) = words(hay, word).last()?;
    hay.get(end..).map(skip_sep)
}

fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    s.strip_prefix(word)
        .filter(|rest| !rest.starts_with(char::is_alphanumeric))
}

/// Finds the `Mon D, YYYY h:mm:ss AM` stamp at the first word it starts.
fn find_stamp(before: &str) -> Option<DateTime> {
    let mut words = before.char_indices().filter(|&(i, c)| {
        let prev = before.get(..i).and_then(|s| s.chars().next_back());
        c.is_ascii_alphabetic() && !prev.is_some_and(|p| p.is_ascii_alphabetic())
    });
    words.find_map(|(i, _)| before.get(i..).and_then(take_stamp))
}

/// Reads `apr 30, 2026 4:44:09 pm` (month names short or long, commas and
/// seconds optional, 24-hour clock when no am/pm follows).
fn take_stamp(s: &str) -> Option<DateTime> {
    let (word, rest) = take_while(s, |c| c.is_ascii_alphabetic());
    let month = month_number(word)?;
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let (day, rest) = take_small(rest.trim_start_matches(' '), 1..=2)?;
    let (year, rest) = take_year(skip_comma(rest))?;
    let (clock, rest) = take_clock(skip_comma(rest))?;
    let clock = apply_meridiem(clock, rest.trim_start_matches(' '))?;
    civil(year, month, day, clock)
}

/// Skips the spaces and the one optional `,` between date parts.
fn skip_comma(s: &str) -> &str {
    let s = s.trim_start_matches(' ');
    s.strip_prefix(',').unwrap_or(s).trim_start_matches(' ')
}

/// `jan`/`january` → 1 … (also `sept`).
fn month_number(word: &str) -> Option<u16> {
    let index = MONTHS.iter().position(|full| {
        *full == word || full.get(..3) == Some(word) || (word == "sept" && *full == "september")
    })?;
    u16::try_from(index + 1).ok()
}

/// Turns a 12-hour clock into 24 hours when `am`/`pm` follows; a 12-hour
/// hour outside 1–12 is refused.
fn apply_meridiem(clock: Clock, rest: &str) -> Option<Clock> {
    let pm = if rest.starts_with("am") || rest.starts_with("a.m.") {
        false
    } else if rest.starts_with("pm") || rest.starts_with("p.m.") {
        true
    } else {
        return Some(clock);
    };
    if !(1..=12).contains(&clock.hour) {
        return None;
    }
    let hour = match (clock.hour, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    Some(Clock { hour, ..clock })
}
