//! The WHMCS invoice a check asks cashgate to pay: an optional
//! `invoice_id` on the check, kept with the payment, and the id WHMCS's
//! invoice answers are read against.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::digits::normalise;

/// WHMCS keeps invoice ids in a signed 32-bit column.
const INVOICE_ID_MAX: u32 = i32::MAX as u32;
/// Longest id text worth parsing (`2147483647` has ten digits).
const INVOICE_ID_DIGITS_MAX: usize = 10;

/// A positive WHMCS invoice id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct InvoiceId(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invoice id must be a whole number from 1 to 2147483647")]
pub struct InvoiceIdError;

impl InvoiceId {
    /// Parses a bare invoice id such as `1033` (Arabic-Indic digits too).
    pub fn parse(input: &str) -> Result<InvoiceId, InvoiceIdError> {
        let digits = normalise(input.trim());
        if digits.is_empty()
            || digits.len() > INVOICE_ID_DIGITS_MAX
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(InvoiceIdError);
        }
        let n: u32 = digits.parse().map_err(|_| InvoiceIdError)?;
        InvoiceId::try_from(n)
    }

    pub fn get(&self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for InvoiceId {
    type Error = InvoiceIdError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if n == 0 || n > INVOICE_ID_MAX {
            return Err(InvoiceIdError);
        }
        Ok(InvoiceId(n))
    }
}

impl From<InvoiceId> for u32 {
    fn from(id: InvoiceId) -> u32 {
        id.0
    }
}

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InvoiceId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invoice_ids_are_positive_32_bit_numbers() {
        assert_eq!(InvoiceId::parse("1033").map(|i| i.get()), Ok(1033));
        assert_eq!(InvoiceId::parse(" 7 ").map(|i| i.get()), Ok(7));
        assert_eq!(InvoiceId::parse("١٠٣٣").map(|i| i.get()), Ok(1033));
        assert_eq!(
            InvoiceId::parse("2147483647").map(|i| i.get()),
            Ok(2_147_483_647)
        );
        for bad in [
            "0",
            "",
            "-1",
            "2147483648",
            "1.0",
            "12a",
            "99999999999",
            "+5",
            "1e3",
        ] {
            assert_eq!(InvoiceId::parse(bad), Err(InvoiceIdError), "{bad}");
        }
        let json = serde_json::to_value(InvoiceId::try_from(12).unwrap()).unwrap();
        assert_eq!(json, json!(12));
        assert!(serde_json::from_value::<InvoiceId>(json!(0)).is_err());
        assert!(serde_json::from_value::<InvoiceId>(json!(2_147_483_648u64)).is_err());
    }
}
