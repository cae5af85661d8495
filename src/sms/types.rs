//! What the parser gives: a [`ParsedSms`], the [`Layout`] it was written
//! in, and the typed refusal ([`SmsError`], naming the [`Field`] at fault).
//! Kept apart from the parser so that the layout readers, which build
//! these values, import them from here and never from the module that
//! calls them.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use rust_decimal::Decimal;

use crate::domain::{Amount, Phone, TransId};

/// Longest text looked at: a receipt is one or two SMS segments, so a text
/// this long is not one, and refusing it first bounds the work.
pub(super) const SMS_CHARS_MAX: usize = 2_000;

/// A wallet notification that says money was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSms {
    pub amount: Amount,
    /// The payer's number; `None` when the text names none (InstaPay).
    pub phone: Option<Phone>,
    /// The operator's reference, e.g. `014412345678` (leading zero kept).
    pub trans_id: TransId,
    pub payer_name: Option<String>,
    /// The receiving wallet, when the text names it (Arabic layouts).
    pub wallet: Option<Phone>,
    pub balance: Option<Decimal>,
    /// `local_time` placed on the timeline in `Africa/Cairo`.
    pub received_at: Timestamp,
    /// The date and time as printed in the SMS (Egypt local time).
    pub local_time: DateTime,
    pub layout: Layout,
}

impl ParsedSms {
    /// Whether both describe the same transaction: every field but the
    /// layout, which re-serialising may change.
    pub fn same_transaction(&self, other: &ParsedSms) -> bool {
        // Destructured without `..`: a new field must be placed here.
        let ParsedSms {
            amount,
            phone,
            trans_id,
            payer_name,
            wallet,
            balance,
            received_at,
            local_time,
            layout: _,
        } = self;
        *amount == other.amount
            && *phone == other.phone
            && *trans_id == other.trans_id
            && *payer_name == other.payer_name
            && *wallet == other.wallet
            && *balance == other.balance
            && *received_at == other.received_at
            && *local_time == other.local_time
    }
}

/// Which of the operator's text layouts a receipt was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `تم استلام مبلغ … جنيه من …`, on one line or several.
    Arabic,
    /// `Mon D, YYYY h:mm:ss AM: Received EGP… from …`.
    English,
}

/// A receipt field, named when it is missing or invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Amount,
    Phone,
    PayerName,
    Wallet,
    Balance,
    Time,
    TransId,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Amount => "amount",
            Field::Phone => "payer phone",
            Field::PayerName => "payer name",
            Field::Wallet => "receiving wallet",
            Field::Balance => "balance",
            Field::Time => "date and time",
            Field::TransId => "transaction id",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("the sender is not a trusted Vodafone Cash sender id")]
    UntrustedSender,
    #[error("the text does not say money was received")]
    NotAPayment,
    #[error("the text reads like a payment receipt, but its {0} is missing or invalid")]
    Unparseable(Field),
    #[error("the text is longer than {SMS_CHARS_MAX} characters")]
    TooLong,
}

impl SmsError {
    /// The machine-readable reason kept in the quarantine.
    pub fn reason(&self) -> &'static str {
        match self {
            SmsError::UntrustedSender => "untrusted_sender",
            SmsError::NotAPayment => "not_a_payment",
            SmsError::Unparseable(_) => "unparseable",
            SmsError::TooLong => "too_long",
        }
    }
}
