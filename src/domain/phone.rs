//! Egyptian mobile numbers, as customers type them and as SMS texts print
//! them, reduced to the one stored form `01XXXXXXXXX`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::digits::to_ascii_digit;

/// Longest input worth looking at; anything longer is refused unread.
const PHONE_INPUT_CHARS_MAX: usize = 40;

/// The mobile operators' prefixes after the leading `01`: Vodafone (010),
/// Etisalat (011), Orange (012) and WE (015).
const OPERATOR_DIGITS: [u8; 4] = [b'0', b'1', b'2', b'5'];

/// An Egyptian mobile number in its national form, e.g. `01012345678`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number is too long")]
    TooLong,
    #[error("phone number contains a character that is not a digit, space or dash")]
    BadCharacter,
    #[error("not an Egyptian mobile number (01X followed by 8 digits)")]
    NotEgyptianMobile,
}

impl Phone {
    /// Accepts `01XXXXXXXXX`, `1XXXXXXXXX`, `+201…`, `00201…` and `201…`,
    /// with spaces and dashes anywhere and Arabic-Indic digits.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        if input.chars().count() > PHONE_INPUT_CHARS_MAX {
            return Err(PhoneError::TooLong);
        }
        let compact = compact(input)?;
        let national = national_part(&compact).ok_or(PhoneError::NotEgyptianMobile)?;
        Ok(Phone(format!("0{national}")))
    }

    /// The stored 11-digit form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Drops spaces and dashes, maps digits to ASCII and keeps one leading `+`.
fn compact(input: &str) -> Result<String, PhoneError> {
    let mut out = String::with_capacity(input.len());
    for (i, c) in input.chars().enumerate() {
        let c = to_ascii_digit(c);
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '\u{00A0}' => {}
            _ => return Err(PhoneError::BadCharacter),
        }
    }
    Ok(out)
}

/// Returns the 10 digits after the trunk `0` (`1X` + 8 digits), if `s` is
/// one of the accepted forms of an Egyptian mobile number.
fn national_part(s: &str) -> Option<&str> {
    let rest = s
        .strip_prefix("+20")
        .or_else(|| s.strip_prefix("0020"))
        .or_else(|| s.strip_prefix("20").filter(|r| r.len() == 10))
        .or_else(|| s.strip_prefix('0').filter(|r| r.len() == 10))
        .unwrap_or(s);
    let bytes = rest.as_bytes();
    let valid = bytes.len() == 10
        && bytes[0] == b'1'
        && OPERATOR_DIGITS.contains(&bytes[1])
        && bytes.iter().all(u8::is_ascii_digit);
    valid.then_some(rest)
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.0)
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Phone::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_form_becomes_the_national_form() {
        let accepted = [
            ("01012345678", "01012345678"),
            ("1012345678", "01012345678"),
            ("+201012345678", "01012345678"),
            ("00201012345678", "01012345678"),
            ("201012345678", "01012345678"),
            ("0101 234 5678", "01012345678"),
            ("010-1234-5678", "01012345678"),
            ("+20 101 234 5678", "01012345678"),
            ("  01112345678  ", "01112345678"),
            ("01212345678", "01212345678"),
            ("01512345678", "01512345678"),
            ("٠١٠١٢٣٤٥٦٧٨", "01012345678"),
            ("+٢٠١٠١٢٣٤٥٦٧٨", "01012345678"),
            ("۰۱۰۱۲۳۴۵۶۷۸", "01012345678"),
            ("0020 10 1234 5678", "01012345678"),
        ];
        for (input, stored) in accepted {
            let phone = Phone::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(phone.as_str(), stored, "{input:?}");
        }
    }

    #[test]
    fn every_refused_form_names_its_reason() {
        use PhoneError::*;
        let refused = [
            ("", Empty),
            ("   ", Empty),
            ("01312345678", NotEgyptianMobile),
            ("01412345678", NotEgyptianMobile),
            ("01612345678", NotEgyptianMobile),
            ("0223456789", NotEgyptianMobile),
            ("0101234567", NotEgyptianMobile),
            ("010123456789", NotEgyptianMobile),
            ("+2001012345678", NotEgyptianMobile),
            ("+441012345678", NotEgyptianMobile),
            ("2010123456789", NotEgyptianMobile),
            ("1312345678", NotEgyptianMobile),
            ("0101234567a", BadCharacter),
            ("010.1234.5678", BadCharacter),
            ("0+1012345678", BadCharacter),
            ("(010) 12345678", BadCharacter),
            ("01012345678\u{0}", BadCharacter),
            ("0101234567800000000000000000000000000000000", TooLong),
        ];
        for (input, reason) in refused {
            assert_eq!(Phone::parse(input), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn serde_round_trips_and_refuses_invalid_numbers() {
        let phone = Phone::parse("+201012345678").unwrap();
        let json = serde_json::to_string(&phone).unwrap();
        assert_eq!(json, "\"01012345678\"");
        assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), phone);
        assert!(serde_json::from_str::<Phone>("\"0131\"").is_err());
    }
}
