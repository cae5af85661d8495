//! Digit normalisation shared by the parsers: customers type Arabic-Indic
//! digits on Arabic keyboards, and the SMS texts may contain them too.

/// Maps Arabic-Indic (U+0660..) and Extended Arabic-Indic (U+06F0..) digits
/// to ASCII; every other character is returned unchanged.
pub(crate) fn to_ascii_digit(c: char) -> char {
    match c {
        '\u{0660}'..='\u{0669}' => shift(c, '\u{0660}'),
        '\u{06F0}'..='\u{06F9}' => shift(c, '\u{06F0}'),
        _ => c,
    }
}

fn shift(c: char, zero: char) -> char {
    let offset = u32::from(c) - u32::from(zero);
    char::from_digit(offset, 10).unwrap_or(c)
}

/// Returns `s` with every Arabic-Indic digit replaced by its ASCII digit.
pub(crate) fn normalise(s: &str) -> String {
    s.chars().map(to_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_indic_and_persian_digits_become_ascii() {
        assert_eq!(normalise("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalise("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(normalise("a-1 ب"), "a-1 ب");
    }
}
