//! Hostile and damaged input: the parser must answer every text with a
//! value or an error, and every text it accepts must round-trip.

use proptest::prelude::*;

use super::*;

/// Parses `text` (which must not panic) and, when accepted, checks the
/// canonical text gives the same transaction back.
fn parse_and_check(text: &str) -> bool {
    match parse(text) {
        Ok(p) => {
            assert_round_trips(&p);
            true
        }
        Err(_) => false,
    }
}

/// A tiny deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from(self.0 >> 33).unwrap_or(0)
    }
}

#[test]
fn deleting_or_inserting_at_every_position_never_panics() {
    let inserts = [' ', '\n', '؛', '0', '.', ':', '\u{200F}'];
    let mut accepted = 0;
    for sample in ALL_SAMPLES {
        let chars: Vec<char> = sample.chars().collect();
        for i in 0..=chars.len() {
            if i < chars.len() {
                let mut deleted = chars.clone();
                deleted.remove(i);
                accepted += usize::from(parse_and_check(&deleted.iter().collect::<String>()));
            }
            for c in inserts {
                let mut inserted = chars.clone();
                inserted.insert(i, c);
                accepted += usize::from(parse_and_check(&inserted.iter().collect::<String>()));
            }
        }
    }
    // Most single-character damage leaves a receipt readable.
    assert!(accepted > 1_000, "only {accepted} mutants accepted");
}

#[test]
fn texts_cut_anywhere_even_inside_a_character_never_panic() {
    for sample in ALL_SAMPLES {
        let bytes = sample.as_bytes();
        for i in 0..=bytes.len() {
            let (head, tail) = bytes.split_at(i);
            parse_and_check(&String::from_utf8_lossy(head));
            parse_and_check(&String::from_utf8_lossy(tail));
            if let Some(prefix) = sample.get(..i) {
                parse_and_check(prefix);
            }
        }
    }
}

#[test]
fn garbage_empty_and_letter_only_texts_are_errors() {
    let letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي".repeat(20);
    let cases = [
        String::new(),
        "\0".repeat(50),
        letters.clone(),
        "تم استلام مبلغ".to_owned(),
        "تم استلام مبلغ ".repeat(100),
        "Received EGP".repeat(100),
        "٠".repeat(1_999),
        "9".repeat(1_999),
        "\u{FFFF}\u{10FFFF}\u{D7FF}\u{FEFF}\u{202E}".repeat(50),
        "🤑 تم استلام مبلغ 🤑 جنيه من 🤑".to_owned(),
        format!("تم استلام مبلغ 250 جنيه من رقم {letters}"),
        "تم استلام مبلغ 99999999999999999999999999999999999 جنيه".to_owned(),
        format!("Received EGP1 from 01012345678 Ref: {}", "0".repeat(1_000)),
    ];
    for text in cases {
        assert!(parse(&text).is_err(), "{text:?}");
    }
    assert_eq!(parse(&"x".repeat(100_000)), Err(SmsError::TooLong));
}

#[test]
fn random_bytes_and_random_characters_never_panic() {
    let mut rng = Lcg(7);
    for round in 0..2_000 {
        let len = usize::try_from(rng.next() % 300).unwrap_or(0);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next().to_le_bytes()[0]).collect();
        parse_and_check(&String::from_utf8_lossy(&bytes));
        let chars: String = (0..len)
            .filter_map(|_| char::from_u32(rng.next() % 0x11_0000))
            .collect();
        parse_and_check(&chars);
        // Random splices into a real receipt reach deeper into the readers.
        let sample = RECEIPTS[round % RECEIPTS.len()];
        let cut = usize::try_from(rng.next()).unwrap_or(0) % (sample.len() + 1);
        let spliced = match (sample.get(..cut), sample.get(cut..)) {
            (Some(head), Some(tail)) => format!("{head}{chars}{tail}"),
            _ => format!("{sample}{chars}"),
        };
        parse_and_check(&spliced);
    }
}

/// Pieces receipts are made of, valid and broken, for generated texts.
const PIECES: &[&str] = &[
    "تم استلام مبلغ 250 جنيه من رقم 01012345678",
    "تم استلام مبلغ 1,250.75 جنيه من ؛",
    "تم استلام مبلغ",
    "جنيه",
    "من",
    "رقم",
    "رقم العملية: 014412345678",
    "رقم العملية",
    "تاريخ العملية: 21:14 26-10-03",
    "بتاريخ 9:05:07 2026/1/2",
    "المسجل بإسم",
    "Sara",
    "M.",
    "على رقم محفظتك 01011112222",
    "على",
    "رصيدك الحالي: 12.5",
    "رصيدك",
    "Received EGP10 from 00201055512345",
    "Apr 30, 2026 4:44:09 PM:",
    "Ref: 019589800001",
    "Balance: 3",
    "01098765432",
    "٠١٢",
    "العملية",
    "محفظتك",
    "الحالي",
    "المسجل",
    "بإسم",
    "…",
    "x",
    "é",
];
/// Openings that make a generated text a receipt more often.
const HEADS: &[&str] = &[
    "",
    "تم استلام مبلغ 250 جنيه من رقم 01012345678 ",
    "تم استلام مبلغ 9272.52 جنيه من ؛",
    "Apr 30, 2026 4:44:09 PM: Received EGP10 from 00201055512345 ",
];
const SEPARATORS: &[&str] = &[
    " ", "  ", "", ":", " : ", "\n", "\r\n", "\u{A0}", "؛", ".", "،", "\u{200F}", "\t",
];

fn receipt_like() -> impl Strategy<Value = String> {
    let pair = (
        prop::sample::select(PIECES),
        prop::sample::select(SEPARATORS),
    );
    let body = prop::collection::vec(pair, 0..16);
    (prop::sample::select(HEADS), body).prop_map(|(head, pairs)| {
        let body: String = pairs.into_iter().flat_map(|(p, s)| [p, s]).collect();
        format!("{head}{body}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_string_gives_a_value_or_an_error(text in any::<String>()) {
        parse_and_check(&text);
    }

    #[test]
    fn generated_receipts_that_parse_round_trip(text in receipt_like()) {
        parse_and_check(&text);
    }
}
