//! Dates and times in the texts: the clock (`21:14` or `4:44:09`), the
//! Arabic `YY-MM-DD` date, and placing Egypt local time on the timeline.

use std::ops::RangeInclusive;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::fields::take_digits;

/// Egypt's zone: EET (+02:00), and EEST (+03:00) in summer since 2023.
const EGYPT_TZ: &str = "Africa/Cairo";
/// Receipts are dated this century; a two-digit year means 20YY, and the
/// canonical text prints two digits, so other years are refused.
const YEARS: RangeInclusive<u16> = 2000..=2099;

/// A time of day as printed, before it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Clock {
    pub(super) hour: u16,
    pub(super) minute: u16,
    pub(super) second: u16,
}

/// Reads a run of `lens` digits (at most four, so it fits a `u16`).
pub(super) fn take_small(s: &str, lens: RangeInclusive<usize>) -> Option<(u16, &str)> {
    let (digits, rest) = take_digits(s);
    if !lens.contains(&digits.len()) || digits.len() > 4 {
        return None;
    }
    Some((digits.parse().ok()?, rest))
}

/// Reads `H:MM` or `H:MM:SS` (one or two hour digits).
pub(super) fn take_clock(s: &str) -> Option<(Clock, &str)> {
    let (hour, rest) = take_small(s, 1..=2)?;
    let (minute, rest) = take_small(rest.strip_prefix(':')?, 2..=2)?;
    let (second, rest) = match rest.strip_prefix(':').and_then(|r| take_small(r, 2..=2)) {
        Some((second, rest)) => (second, rest),
        None => (0, rest),
    };
    let clock = Clock {
        hour,
        minute,
        second,
    };
    Some((clock, rest))
}

/// Reads a year printed with two digits (20YY) or four.
pub(super) fn take_year(s: &str) -> Option<(u16, &str)> {
    let (digits, rest) = take_digits(s);
    let year = match digits.len() {
        2 => 2000 + digits.parse::<u16>().ok()?,
        4 => digits.parse().ok()?,
        _ => return None,
    };
    YEARS.contains(&year).then_some((year, rest))
}

/// Reads the Arabic layout's `HH:MM YY-MM-DD` (`/` also accepted).
pub(super) fn take_arabic_stamp(s: &str) -> Option<DateTime> {
    let (clock, rest) = take_clock(s)?;
    let (year, rest) = take_year(rest.trim_start_matches(' '))?;
    let sep = rest.chars().next().filter(|c| matches!(c, '-' | '/'))?;
    let (month, rest) = take_small(rest.strip_prefix(sep)?, 1..=2)?;
    let (day, _) = take_small(rest.strip_prefix(sep)?, 1..=2)?;
    civil(year, month, day, clock)
}

/// The checked civil date-time; `None` for a day or time that does not
/// exist (`02-30`, `24:00`).
pub(super) fn civil(year: u16, month: u16, day: u16, clock: Clock) -> Option<DateTime> {
    let small = |v: u16| i8::try_from(v).ok();
    DateTime::new(
        i16::try_from(year).ok()?,
        small(month)?,
        small(day)?,
        small(clock.hour)?,
        small(clock.minute)?,
        small(clock.second)?,
        0,
    )
    .ok()
}

/// Places Egypt local time on the timeline. In the spring-forward gap the
/// clock is read as if it had not moved yet (the later instant), and in the
/// autumn overlap the first of the two instants is taken: the "compatible"
/// choice, which never fails for a real date.
pub(super) fn cairo_timestamp(local: DateTime) -> Option<Timestamp> {
    let tz = TimeZone::get(EGYPT_TZ).ok()?;
    tz.to_ambiguous_timestamp(local).compatible().ok()
}
