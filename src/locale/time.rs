//! Times as people read them, in the store's time zone: the date and the
//! clock ("2 Dec 2026, 08:06") and how far away that is ("in 2 days",
//! "3 hours ago"), in English or Arabic. The console, the approval page
//! and the approval email all format times here.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::Lang;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// The month names Egypt uses.
const MONTHS_AR: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

/// The date and clock, then how far away: `2 Dec 2026, 08:06 — in 2 days`.
pub fn when(at: Timestamp, now: Timestamp, zone: &TimeZone, lang: Lang) -> String {
    format!(
        "{} — {}",
        date_time(at, zone, lang),
        relative(at, now, lang)
    )
}

/// `2 Dec 2026, 08:06` (`2 ديسمبر 2026، 08:06`), in `zone`.
pub fn date_time(at: Timestamp, zone: &TimeZone, lang: Lang) -> String {
    let local = at.to_zoned(zone.clone());
    let month = usize::try_from(local.month() - 1).unwrap_or(0) % 12;
    match lang {
        Lang::En => format!(
            "{} {} {}, {:02}:{:02}",
            local.day(),
            MONTHS_EN[month],
            local.year(),
            local.hour(),
            local.minute()
        ),
        Lang::Ar => format!(
            "{} {} {}، {:02}:{:02}",
            local.day(),
            MONTHS_AR[month],
            local.year(),
            local.hour(),
            local.minute()
        ),
    }
}

/// A unit of relative time and its count, rounded to what a person
/// means: 47 h 59 min is "2 days".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Now,
    Minutes(i64),
    Hours(i64),
    Days(i64),
}

fn span(seconds: i64) -> Span {
    let s = seconds.abs();
    let rounded = |unit: i64| ((s + unit / 2) / unit).max(1);
    if s < 45 {
        Span::Now
    } else if s < 45 * 60 {
        Span::Minutes(rounded(60))
    } else if s < 22 * 3600 {
        Span::Hours(rounded(3600))
    } else {
        Span::Days(rounded(86_400))
    }
}

/// `in 2 days`, `3 hours ago`, `just now` (and in Arabic).
pub fn relative(at: Timestamp, now: Timestamp, lang: Lang) -> String {
    let seconds = at.duration_since(now).as_secs();
    let future = seconds > 0;
    let span = span(seconds);
    match lang {
        Lang::En => english(span, future),
        Lang::Ar => arabic(span, future),
    }
}

fn english(span: Span, future: bool) -> String {
    let (n, unit) = match span {
        Span::Now => return "just now".to_owned(),
        Span::Minutes(n) => (n, "minute"),
        Span::Hours(n) => (n, "hour"),
        Span::Days(n) => (n, "day"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if future {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

/// Arabic counts: one and two have their own words ("يوم", "يومين");
/// three to ten take the plural ("3 أيام"); eleven and more the singular
/// with tanween where it has one ("11 يومًا").
fn arabic(span: Span, future: bool) -> String {
    let (n, [one, two, few, many]) = match span {
        Span::Now => return "الآن".to_owned(),
        Span::Minutes(n) => (n, ["دقيقة", "دقيقتين", "دقائق", "دقيقة"]),
        Span::Hours(n) => (n, ["ساعة", "ساعتين", "ساعات", "ساعة"]),
        Span::Days(n) => (n, ["يوم", "يومين", "أيام", "يومًا"]),
    };
    let amount = match n {
        1 => one.to_owned(),
        2 => two.to_owned(),
        3..=10 => format!("{n} {few}"),
        _ => format!("{n} {many}"),
    };
    if future {
        format!("بعد {amount}")
    } else {
        format!("منذ {amount}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cairo() -> TimeZone {
        crate::domain::TimeZoneName::default().zone().clone()
    }

    #[test]
    fn the_issue_s_example_reads_as_a_person_says_it() {
        let at: Timestamp = "2026-12-02T06:06:03.832653677Z".parse().unwrap();
        let now = at - jiff::SignedDuration::from_secs(47 * 3600 + 59 * 60);
        assert_eq!(
            when(at, now, &cairo(), Lang::En),
            "2 Dec 2026, 08:06 — in 2 days"
        );
        assert_eq!(
            when(at, now, &cairo(), Lang::Ar),
            "2 ديسمبر 2026، 08:06 — بعد يومين"
        );
    }

    #[test]
    fn summer_time_in_cairo_is_three_hours_ahead() {
        let at: Timestamp = "2026-07-01T21:30:00Z".parse().unwrap();
        assert_eq!(date_time(at, &cairo(), Lang::En), "2 Jul 2026, 00:30");
        assert_eq!(date_time(at, &TimeZone::UTC, Lang::En), "1 Jul 2026, 21:30");
    }

    #[test]
    fn spans_round_and_read_both_ways() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let cases = [
            (10, "just now", "الآن"),
            (-90, "2 minutes ago", "منذ دقيقتين"),
            (60, "in 1 minute", "بعد دقيقة"),
            (5 * 60, "in 5 minutes", "بعد 5 دقائق"),
            (-3 * 3600, "3 hours ago", "منذ 3 ساعات"),
            (-11 * 86_400, "11 days ago", "منذ 11 يومًا"),
            (86_400, "in 1 day", "بعد يوم"),
        ];
        for (offset, en, ar) in cases {
            let at = now + jiff::SignedDuration::from_secs(offset);
            assert_eq!(relative(at, now, Lang::En), en, "{offset}");
            assert_eq!(relative(at, now, Lang::Ar), ar, "{offset}");
        }
    }
}
