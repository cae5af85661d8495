//! Identifiers: the merchant's `StoreId`, the wallet's `TransId` and our own
//! random `PaymentId`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Characters of a payment id after `pay_`: lower-case RFC 4648 base32.
const PAYMENT_ID_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// 26 base32 characters carry 130 bits; ids must be unguessable (≥ 96
/// random bits, docs/design.md).
const PAYMENT_ID_CHARS: usize = 26;
const PAYMENT_ID_PREFIX: &str = "pay_";
/// Leading characters of a new id that encode its creation second.
const TIME_CHARS: usize = 6;
const STORE_ID_CHARS_MAX: usize = 64;
const TRANS_ID_CHARS_MAX: usize = 64;
const KEY_NAME_CHARS_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("store id must be 1-64 letters, digits, '-' or '_'")]
    InvalidStoreId,
    #[error("transaction id must be 1-64 letters, digits, '-' or '_'")]
    InvalidTransId,
    #[error("payment id must be 'pay_' followed by 26 lower-case base32 characters")]
    InvalidPaymentId,
    #[error("key name must be 1-64 letters, digits, '-' or '_'")]
    InvalidKeyName,
    #[error("the system's random number generator failed: {0}")]
    Random(String),
}

fn is_id_text(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! string_id {
    ($name:ident, $valid:expr, $err:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<$name, IdError> {
                if $valid(input) {
                    Ok($name(input.to_owned()))
                } else {
                    Err($err)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    StoreId,
    |s| is_id_text(s, STORE_ID_CHARS_MAX),
    IdError::InvalidStoreId,
    "A merchant's store: 1–64 letters, digits, `-` and `_` (the platform's own are numbers like `5`)."
);
string_id!(
    TransId,
    |s| is_id_text(s, TRANS_ID_CHARS_MAX),
    IdError::InvalidTransId,
    "A wallet transaction id (`رقم العملية`, `Ref:`): 12 digits with a leading zero in SMS texts, so kept as text."
);
string_id!(
    KeyName,
    |s| is_id_text(s, KEY_NAME_CHARS_MAX),
    IdError::InvalidKeyName,
    "The name of a store key (`laptop`, `ops-team`): 1–64 letters, digits, `-` and `_`; it names the key in the audit trail (`key:laptop`) and in the URL that revokes it."
);
string_id!(
    PaymentId,
    is_payment_id_text,
    IdError::InvalidPaymentId,
    "A payment: `pay_` and 26 random lower-case base32 characters, unguessable."
);

impl PaymentId {
    /// A fresh id from the operating system's random source.
    ///
    /// The first 6 characters are the creation second (30 bits, wrapping
    /// every 34 years), the other 20 are random (100 bits, more than the
    /// 96 the design asks for). Ids made in the same second share a prefix,
    /// so a payment's record, audit entries and index entries land next to
    /// the other recent ones in sled's trees instead of at random places:
    /// inserts touch few pages, even with millions stored.
    pub fn random() -> Result<PaymentId, IdError> {
        let mut bytes = [0u8; PAYMENT_ID_CHARS];
        getrandom::fill(&mut bytes).map_err(|e| IdError::Random(e.to_string()))?;
        stamp_second(&mut bytes, unix_seconds());
        Ok(PaymentId::from_random_bytes(bytes))
    }

    /// Builds an id from 26 random bytes, using 5 bits of each.
    pub fn from_random_bytes(bytes: [u8; PAYMENT_ID_CHARS]) -> PaymentId {
        let mut s = String::with_capacity(PAYMENT_ID_PREFIX.len() + PAYMENT_ID_CHARS);
        s.push_str(PAYMENT_ID_PREFIX);
        for b in bytes {
            s.push(char::from(PAYMENT_ID_ALPHABET[usize::from(b & 31)]));
        }
        PaymentId(s)
    }
}

/// Seconds since the epoch; a clock before 1970 counts as 0 (the prefix
/// only orders keys, it is never trusted as a time).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes the low 30 bits of `seconds`, 5 per character, most significant
/// first, over the first `TIME_CHARS` bytes.
fn stamp_second(bytes: &mut [u8; PAYMENT_ID_CHARS], seconds: u64) {
    for (i, byte) in bytes.iter_mut().take(TIME_CHARS).enumerate() {
        let shift = 5 * (TIME_CHARS - 1 - i);
        // Masked to 5 bits, so the conversion cannot fail.
        *byte = u8::try_from((seconds >> shift) & 31).unwrap_or(0);
    }
}

/// Prefix, length and alphabet, checked exactly.
fn is_payment_id_text(s: &str) -> bool {
    s.strip_prefix(PAYMENT_ID_PREFIX).is_some_and(|body| {
        // Ranges rather than a search of the alphabet: every poll and
        // every decoded record parses an id, and the search showed in
        // profiles.
        body.len() == PAYMENT_ID_CHARS
            && body.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_ids_accept_the_platform_forms_only() {
        for ok in ["5", "store-1", "Store_A", &"x".repeat(64)] {
            assert!(StoreId::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "a b", "a/b", "ü", "../etc", &"x".repeat(65), "5\n"] {
            assert_eq!(StoreId::parse(bad), Err(IdError::InvalidStoreId), "{bad:?}");
        }
    }

    #[test]
    fn trans_ids_keep_leading_zeros() {
        assert_eq!(
            TransId::parse("014412345678").unwrap().as_str(),
            "014412345678"
        );
        assert!(TransId::parse("").is_err());
        assert!(TransId::parse("01 44").is_err());
    }

    #[test]
    fn payment_ids_are_random_and_parse_strictly() {
        let a = PaymentId::random().unwrap();
        let b = PaymentId::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 30);
        assert_ne!(a.as_str()[10..], b.as_str()[10..], "100 random bits");
        assert_eq!(PaymentId::parse(a.as_str()), Ok(a.clone()));
        let bad = [
            "pay_",
            "pay_ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "pay_abcdefghijklmnopqrstuvwxy",
            "pay_abcdefghijklmnopqrstuvwxyz0",
            "pay_abcdefghijklmnopqrstuvwxy1",
            "abcdefghijklmnopqrstuvwxyz",
        ];
        for input in bad {
            assert!(PaymentId::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn the_id_check_accepts_exactly_the_alphabet() {
        for b in 0..=u8::MAX {
            let body = [char::from(b); PAYMENT_ID_CHARS].iter().collect::<String>();
            assert_eq!(
                is_payment_id_text(&format!("pay_{body}")),
                PAYMENT_ID_ALPHABET.contains(&b),
                "byte {b}"
            );
        }
    }

    /// The second a prefix encodes (low 30 bits).
    fn prefix_second(id: &PaymentId) -> u64 {
        id.as_str()[4..4 + TIME_CHARS].bytes().fold(0, |acc, c| {
            let digit = PAYMENT_ID_ALPHABET.iter().position(|&a| a == c).unwrap();
            acc * 32 + u64::try_from(digit).unwrap()
        })
    }

    #[test]
    fn payment_ids_start_with_their_creation_second_so_keys_sort_by_time() {
        let before = unix_seconds();
        let id = PaymentId::random().unwrap();
        let after = unix_seconds();
        let second = prefix_second(&id);
        assert!(
            (before & 0x3fff_ffff..=after & 0x3fff_ffff).contains(&second),
            "{second} not in {before}..={after}"
        );
        let mut older = [31u8; PAYMENT_ID_CHARS];
        let mut newer = [0u8; PAYMENT_ID_CHARS];
        stamp_second(&mut older, 1_799_999_999);
        stamp_second(&mut newer, 1_800_000_000);
        let (older, newer) = (
            PaymentId::from_random_bytes(older),
            PaymentId::from_random_bytes(newer),
        );
        assert_eq!(prefix_second(&newer), 1_800_000_000 & 0x3fff_ffff);
        // Time beats the random part: the largest random tail of one
        // second still sorts before the smallest of the next.
        assert!(older.as_str() < newer.as_str());
    }
}
