//! The JSON shapes the API answers with, built from stored records.

use serde::Serialize;

use super::messages;
use crate::domain::{ClientId, Lang};
use crate::machine::{HoldReason, StateName};
use crate::merchant::StoreSettings;
use crate::payments::{
    AuditEntry, InvoiceSettlement, InvoiceState, OutboxEntry, PaymentRecord, PaymentSummary,
    TransactionRecord,
};

/// The reply of a check and of a poll (docs/design.md, "The check").
#[derive(Debug, Serialize)]
pub struct PaymentReply {
    pub status: bool,
    pub state: StateName,
    pub requires_verification: bool,
    pub message: &'static str,
    pub payment_id: String,
    pub transaction_id: Option<String>,
    pub amount: String,
    pub credit_amount: Option<String>,
    pub poll_url: String,
    /// The invoice the credit pays, `null` when the check named none.
    pub invoice: Option<InvoiceView>,
}

/// A payment's invoice as the check form and operators see it.
#[derive(Debug, Serialize)]
pub struct InvoiceView {
    pub id: u32,
    pub state: InvoiceState,
    /// Two places, once applied.
    pub applied_amount: Option<String>,
}

impl InvoiceView {
    pub fn new(s: &InvoiceSettlement) -> InvoiceView {
        InvoiceView {
            id: s.id.get(),
            state: s.state,
            applied_amount: s.applied_amount.map(two_places),
        }
    }
}

/// The invoice with what operators need besides: WHMCS's last word (a
/// refusal, why it failed) and the ApplyCredit calls sent.
#[derive(Debug, Serialize)]
pub struct InvoiceDetail<'a> {
    #[serde(flatten)]
    pub view: InvoiceView,
    pub message: Option<&'a str>,
    pub tries: u32,
}

fn two_places(mut amount: rust_decimal::Decimal) -> String {
    amount.rescale(2);
    amount.to_string()
}

impl PaymentReply {
    /// `reports_credit` is true only for the one check reply that reports
    /// the credit; polls pass false.
    pub fn new(record: &PaymentSummary, lang: Lang, reports_credit: bool) -> PaymentReply {
        let state = record.state_name();
        PaymentReply {
            status: reports_credit && state == StateName::Credited,
            state,
            requires_verification: state == StateName::Held,
            message: messages::for_state(state, lang),
            payment_id: record.id.to_string(),
            transaction_id: record.claim.as_ref().map(|c| c.trans_id.to_string()),
            amount: record.amount.to_string(),
            credit_amount: record.claim.as_ref().map(|c| two_places(c.credit_amount)),
            poll_url: format!("/api/payments/{}", record.id),
            invoice: record.invoice.as_ref().map(InvoiceView::new),
        }
    }
}

/// A payment as operators see it, with its history.
#[derive(Debug, Serialize)]
pub struct PaymentDetail<'a> {
    pub id: String,
    pub store_id: String,
    pub client_id: u32,
    pub phone: String,
    pub amount: String,
    pub state: StateName,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
    pub hold_reasons: &'a [HoldReason],
    /// For a `contested` hold: the other clients that wait for the same
    /// transfer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub competing_clients: Vec<ClientId>,
    pub state_detail: Option<String>,
    pub claim: Option<&'a crate::payments::Claim>,
    pub deadline: Option<&'a crate::payments::Deadline>,
    pub credit_reported: bool,
    pub invoice: Option<InvoiceDetail<'a>>,
    /// Why a `crediting` payment is not credited yet (an open breaker, an
    /// unknown outcome waiting for GetCredits, a retry after a failure).
    pub waiting: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<&'a [AuditEntry]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox: Option<&'a [OutboxEntry]>,
}

impl<'a> PaymentDetail<'a> {
    pub fn new(r: &'a PaymentRecord) -> PaymentDetail<'a> {
        let state_detail = match &r.state {
            crate::machine::State::CreditFailed { reason }
            | crate::machine::State::CreditUnknown { reason } => Some(reason.clone()),
            crate::machine::State::Crediting { attempts } if *attempts > 0 => {
                Some(format!("{attempts} failed tries so far"))
            }
            _ => None,
        };
        PaymentDetail {
            id: r.id.to_string(),
            store_id: r.store_id.to_string(),
            client_id: r.client_id.get(),
            phone: r.phone.to_string(),
            amount: r.amount.to_string(),
            state: r.state_name(),
            version: r.version,
            created_at: r.created_at.to_string(),
            updated_at: r.updated_at.to_string(),
            hold_reasons: r.hold_reasons(),
            competing_clients: Vec::new(),
            state_detail,
            claim: r.claim.as_ref(),
            deadline: r.deadline.as_ref(),
            credit_reported: r.credit_reported,
            invoice: r.invoice.as_ref().map(|i| InvoiceDetail {
                view: InvoiceView::new(i),
                message: i.message.as_deref(),
                tries: i.tries,
            }),
            waiting: None,
            history: None,
            outbox: None,
        }
    }
}

/// A stored transaction as the ingest endpoint and the admin API show it.
#[derive(Debug, Serialize)]
pub struct TransactionView {
    pub trans_id: String,
    pub phone: Option<String>,
    pub amount: String,
    pub received_at: String,
    pub payment_id: Option<String>,
    pub credited_to: Option<String>,
    /// Set when a claim on it ended: it waits for an operator to assign it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting_operator: Option<crate::payments::Released>,
}

impl TransactionView {
    pub fn new(tx: &TransactionRecord) -> TransactionView {
        TransactionView {
            trans_id: tx.trans_id.to_string(),
            phone: tx.phone.as_ref().map(ToString::to_string),
            amount: tx.amount.to_string(),
            received_at: tx.received_at.to_string(),
            payment_id: tx.claimed_by.as_ref().map(ToString::to_string),
            credited_to: tx.credited_to.as_ref().map(ToString::to_string),
            awaiting_operator: tx.awaiting_operator.clone(),
        }
    }
}

/// A store's settings without its secrets: only whether they are set.
pub fn store_view(id: &str, s: &StoreSettings) -> serde_json::Value {
    let mut value = serde_json::to_value(s).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("ingest_token");
        obj.insert(
            "ingest_token_set".into(),
            (!s.ingest_token.is_empty()).into(),
        );
        obj.insert("id".into(), id.into());
        if let Some(whmcs) = obj.get_mut("whmcs").and_then(|w| w.as_object_mut()) {
            whmcs.remove("secret");
            whmcs.insert("secret_set".into(), (!s.whmcs.secret.is_empty()).into());
        }
    }
    value
}
