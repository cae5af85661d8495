//! Invoices as WHMCS describes them: what `GetInvoice` says about one
//! ([`Invoice`]) and what `ApplyCredit` says it did ([`AppliedCredit`]).
//! The readers are pure (JSON in, typed value or a typed reason out), so
//! the unit tests and the fuzzer drive them directly. Invoice ids are
//! [`InvoiceId`]s, parsed at the edge like the other domain values.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::answer::text;
use super::money::{MoneyError, money, money_field};
use crate::domain::{ClientId, InvoiceId};

/// Longest status text kept from an answer, in characters.
const STATUS_CHARS_MAX: usize = 40;

/// An invoice's status. Only `Unpaid` invoices take credit; a status this
/// version does not know is kept as text and treated as not unpaid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Unpaid,
    Paid,
    Cancelled,
    Refunded,
    Collections,
    PaymentPending,
    Other(String),
}

impl InvoiceStatus {
    /// WHMCS's status text (`Unpaid`, `Payment Pending`, …), any case.
    pub fn from_text(text: &str) -> InvoiceStatus {
        match text.trim().to_ascii_lowercase().as_str() {
            "draft" => InvoiceStatus::Draft,
            "unpaid" => InvoiceStatus::Unpaid,
            "paid" => InvoiceStatus::Paid,
            "cancelled" => InvoiceStatus::Cancelled,
            "refunded" => InvoiceStatus::Refunded,
            "collections" => InvoiceStatus::Collections,
            "payment pending" => InvoiceStatus::PaymentPending,
            _ => InvoiceStatus::Other(super::classify::clean_message(
                &text.chars().take(STATUS_CHARS_MAX).collect::<String>(),
            )),
        }
    }

    pub fn is_unpaid(&self) -> bool {
        matches!(self, InvoiceStatus::Unpaid)
    }
}

impl std::fmt::Display for InvoiceStatus {
    /// WHMCS's own words for it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Unpaid => "Unpaid",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Cancelled => "Cancelled",
            InvoiceStatus::Refunded => "Refunded",
            InvoiceStatus::Collections => "Collections",
            InvoiceStatus::PaymentPending => "Payment Pending",
            InvoiceStatus::Other(text) => text,
        })
    }
}

/// What `GetInvoice` says about an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub id: InvoiceId,
    /// The WHMCS client the invoice belongs to (`userid`); ApplyCredit
    /// takes this client's credit, whoever asks.
    pub client: ClientId,
    pub status: InvoiceStatus,
    /// What the invoice comes to once applied credit is taken off.
    pub total: Decimal,
    /// Credit already applied to the invoice.
    pub credit: Decimal,
    /// What is still owed.
    pub balance: Decimal,
}

/// What `ApplyCredit` says it did. The call succeeded whatever these say;
/// a field WHMCS left out or sent unreadable is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedCredit {
    pub invoice: InvoiceId,
    /// The credit applied, as WHMCS reports it.
    pub amount: Option<Decimal>,
    /// Whether the invoice is now paid (`invoicepaid`).
    pub invoice_paid: Option<bool>,
}

/// Why a successful answer about an invoice could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceAnswerError {
    #[error("the answer is for invoice {given}, not {asked}")]
    OtherInvoice { asked: InvoiceId, given: String },
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("userid {0:?} is not a WHMCS client id")]
    Client(String),
    #[error("status is not text")]
    Status,
    #[error("{field} cannot be read: {source}")]
    Money {
        field: &'static str,
        source: MoneyError,
    },
}

/// The invoice in a `GetInvoice` success for `asked`.
pub fn read_invoice(answer: &Value, asked: InvoiceId) -> Result<Invoice, InvoiceAnswerError> {
    same_invoice(answer, asked)?;
    let userid = answer
        .get("userid")
        .ok_or(InvoiceAnswerError::Missing("userid"))?;
    let client = ClientId::parse(&text(userid))
        .map_err(|_| InvoiceAnswerError::Client(text(userid).chars().take(20).collect()))?;
    let status = match answer.get("status") {
        None => return Err(InvoiceAnswerError::Missing("status")),
        Some(Value::String(s)) => InvoiceStatus::from_text(s),
        Some(_) => return Err(InvoiceAnswerError::Status),
    };
    let amount = |field: &'static str| {
        money_field(answer, field).map_err(|source| InvoiceAnswerError::Money { field, source })
    };
    Ok(Invoice {
        id: asked,
        client,
        status,
        total: amount("total")?,
        credit: amount("credit")?,
        balance: amount("balance")?,
    })
}

/// What an `ApplyCredit` success for `asked` says was done.
pub fn read_applied_credit(
    answer: &Value,
    asked: InvoiceId,
) -> Result<AppliedCredit, InvoiceAnswerError> {
    same_invoice(answer, asked)?;
    let invoice_paid = match answer.get("invoicepaid") {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    };
    Ok(AppliedCredit {
        invoice: asked,
        amount: answer.get("amount").and_then(|v| money(v).ok()),
        invoice_paid,
    })
}

/// Refuses an answer whose `invoiceid` names another invoice (a missing
/// one is taken as the one asked about).
fn same_invoice(answer: &Value, asked: InvoiceId) -> Result<(), InvoiceAnswerError> {
    match answer.get("invoiceid") {
        Some(given) if InvoiceId::parse(&text(given)).ok() != Some(asked) => {
            Err(InvoiceAnswerError::OtherInvoice {
                asked,
                given: text(given).chars().take(20).collect(),
            })
        }
        _ => Ok(()),
    }
}
