//! Money amounts in EGP: a positive `Decimal` with at most two places.
//! `100`, `100.5` and `100.50` are the same amount; the canonical text has
//! exactly two places (`100.00`). A text with more than two decimal places
//! is refused, even when the extra places are zeros (`100.500`): "at most
//! two places" is a rule about what was written, and `100.500` is how many
//! people write one hundred thousand five hundred.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::digits::to_ascii_digit;

/// Longest amount text worth looking at.
const AMOUNT_INPUT_CHARS_MAX: usize = 32;
/// Digits before the decimal point: ten million EGP is far above any
/// wallet's transfer limit, so anything larger is a typo or an attack.
const AMOUNT_INTEGER_DIGITS_MAX: usize = 8;
/// Decimal places a written amount may have (the contract's "at most two").
const AMOUNT_DECIMAL_PLACES_MAX: usize = 2;

/// A positive amount with at most two decimal places.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("amount is not a plain decimal number like 100 or 100.50")]
    NotDecimal,
    #[error("amount has more than two decimal places")]
    TooManyPlaces,
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount is too large")]
    TooLarge,
}

impl Amount {
    /// Parses `123`, `123.4`, `123.45`, with Arabic-Indic digits and `٫` as
    /// the decimal point. More than two written decimal places (`123.456`,
    /// `123.450`), signs, exponents, thousands separators and bare points
    /// are refused.
    pub fn parse(input: &str) -> Result<Amount, AmountError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(AmountError::Empty);
        }
        if input.chars().count() > AMOUNT_INPUT_CHARS_MAX {
            return Err(AmountError::NotDecimal);
        }
        let ascii: String = input
            .chars()
            .map(|c| {
                if c == '\u{066B}' {
                    '.'
                } else {
                    to_ascii_digit(c)
                }
            })
            .collect();
        let (int_part, frac_part) = match ascii.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (ascii.as_str(), None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
            return Err(AmountError::NotDecimal);
        }
        if int_part.trim_start_matches('0').len() > AMOUNT_INTEGER_DIGITS_MAX {
            return Err(AmountError::TooLarge);
        }
        // Counted on the text, before `Decimal` sees it: past 28 places it
        // rounds silently (`1.000…001` would become 1).
        if frac_part.is_some_and(|f| f.len() > AMOUNT_DECIMAL_PLACES_MAX) {
            return Err(AmountError::TooManyPlaces);
        }
        let value = Decimal::from_str(&ascii).map_err(|_| AmountError::NotDecimal)?;
        Amount::from_decimal(value)
    }

    /// Checks a computed decimal against the same rules as `parse`.
    pub fn from_decimal(value: Decimal) -> Result<Amount, AmountError> {
        let value = value.normalize();
        if value.scale() > 2 {
            return Err(AmountError::TooManyPlaces);
        }
        if value <= Decimal::ZERO {
            return Err(AmountError::NotPositive);
        }
        if value >= Decimal::from(100_000_000u64) {
            return Err(AmountError::TooLarge);
        }
        Ok(Amount(with_two_places(value)))
    }

    pub fn value(&self) -> Decimal {
        self.0
    }

    /// The text PHP's `(string)(float)` gives, as the WHMCS module sends it:
    /// `300` for 300.00, `300.5` for 300.50.
    pub fn php_string(&self) -> String {
        self.0.normalize().to_string()
    }

    /// `self / rate`, rounded half away from zero to two places: the credit
    /// in the store's WHMCS currency. `None` when the rate is not positive
    /// or the result rounds to zero.
    pub fn convert(&self, rate: Decimal) -> Option<Decimal> {
        if rate <= Decimal::ZERO {
            return None;
        }
        let credit = self
            .0
            .checked_div(rate)?
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        (credit > Decimal::ZERO).then(|| with_two_places(credit))
    }
}

/// Gives a value exactly two decimal places, so it prints as `100.00`.
fn with_two_places(value: Decimal) -> Decimal {
    let mut v = value;
    v.rescale(2);
    v
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Amount::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_amounts_in_every_accepted_form_print_with_two_places() {
        let accepted = [
            ("100", "100.00"),
            ("100.5", "100.50"),
            ("100.50", "100.50"),
            ("0100", "100.00"),
            ("0.01", "0.01"),
            (" 250 ", "250.00"),
            ("9272.52", "9272.52"),
            ("١٠٠", "100.00"),
            ("١٠٠٫٥", "100.50"),
            ("99999999.99", "99999999.99"),
        ];
        for (input, canonical) in accepted {
            let amount = Amount::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(amount.to_string(), canonical, "{input:?}");
        }
        assert_eq!(
            Amount::parse("100").unwrap(),
            Amount::parse("100.00").unwrap()
        );
    }

    #[test]
    fn every_refused_form_names_its_reason() {
        use AmountError::*;
        let refused = [
            ("", Empty),
            ("  ", Empty),
            ("0", NotPositive),
            ("0.00", NotPositive),
            ("-5", NotDecimal),
            ("+5", NotDecimal),
            ("1e3", NotDecimal),
            ("1E3", NotDecimal),
            ("1,000", NotDecimal),
            ("1 000", NotDecimal),
            (".5", NotDecimal),
            ("5.", NotDecimal),
            ("1.2.3", NotDecimal),
            ("abc", NotDecimal),
            ("NaN", NotDecimal),
            ("inf", NotDecimal),
            ("100.001", TooManyPlaces),
            ("100.505", TooManyPlaces),
            ("0.005", TooManyPlaces),
            ("100.500", TooManyPlaces),
            ("100.000", TooManyPlaces),
            ("١٠٠٫٥٠٥", TooManyPlaces),
            // Past 28 places `Decimal` would round this to exactly 1.
            ("1.000000000000000000000000000001", TooManyPlaces),
            ("100000000", TooLarge),
            ("123456789012", TooLarge),
            ("1234567890123456789012345678901234", NotDecimal),
        ];
        for (input, reason) in refused {
            assert_eq!(Amount::parse(input), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn php_string_matches_php_float_to_string() {
        assert_eq!(Amount::parse("300.00").unwrap().php_string(), "300");
        assert_eq!(Amount::parse("300.50").unwrap().php_string(), "300.5");
        assert_eq!(Amount::parse("0.05").unwrap().php_string(), "0.05");
    }

    #[test]
    fn conversion_rounds_half_away_from_zero_to_two_places() {
        let amount = Amount::parse("100").unwrap();
        assert_eq!(
            amount.convert(Decimal::from(1)).unwrap().to_string(),
            "100.00"
        );
        let rate = Decimal::from_str("50.50").unwrap();
        assert_eq!(amount.convert(rate).unwrap().to_string(), "1.98");
        // 0.125 rounds up to 0.13, not to the even 0.12.
        let eighth = Amount::parse("1")
            .unwrap()
            .convert(Decimal::from(8))
            .unwrap();
        assert_eq!(eighth.to_string(), "0.13");
        assert_eq!(amount.convert(Decimal::ZERO), None);
        assert_eq!(amount.convert(Decimal::from(-2)), None);
        assert_eq!(
            Amount::parse("0.01").unwrap().convert(Decimal::from(1000)),
            None
        );
    }
}
