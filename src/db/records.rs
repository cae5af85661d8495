//! What sled holds about payments, as serde records (JSON: readable in a
//! debugger, and new fields default so old records still decode). The
//! outbox's records are in `outbox_records`.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{Amount, ClientId, InvoiceId, Lang, PaymentId, Phone, StoreId, TransId};
use crate::machine::{Actor, DeadlineKind, EventKind, HoldReason, IntentKind, State, StateName};

/// One payment: who claims what, and where its machine is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub store_id: StoreId,
    pub client_id: ClientId,
    pub phone: Phone,
    pub amount: Amount,
    /// The language of the check that created it (replies, pages).
    #[serde(default)]
    pub lang: Lang,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every transition and only by transitions.
    pub version: u64,
    /// The machine's state with its data (statig's own enum).
    pub state: State,
    /// The transaction matching claimed for it, once matched.
    #[serde(default)]
    pub claim: Option<Claim>,
    /// The open window's end, mirrored by a timer index entry.
    #[serde(default)]
    pub deadline: Option<Deadline>,
    /// A check reply has reported this payment credited (`status: true`).
    #[serde(default)]
    pub credit_reported: bool,
    /// The WHMCS invoice the check asked to pay from the credit, and how
    /// far that got. Never part of the machine's state.
    #[serde(default)]
    pub invoice: Option<InvoiceSettlement>,
}

impl PaymentRecord {
    pub fn state_name(&self) -> StateName {
        self.state.name()
    }

    /// Why anti-spam held it, while it is held.
    pub fn hold_reasons(&self) -> &[HoldReason] {
        match &self.state {
            State::Held { reasons } => reasons,
            _ => &[],
        }
    }

    /// When it ended `expired` without ever claiming a transaction: what
    /// the retention sweep may remove once old enough (a check that no
    /// money ever answered). `None` for every other payment.
    pub fn ended_unclaimed(&self) -> Option<Timestamp> {
        (self.state_name() == StateName::Expired && self.claim.is_none()).then_some(self.updated_at)
    }

    /// Whether an identical check (store, client, phone, amount) finds this
    /// payment: while it is open, and once credited until a check reply
    /// has reported it (so one transfer never pays two invoices).
    pub fn answers_repeat_checks(&self) -> bool {
        let state = self.state_name();
        !state.is_final() || (state == StateName::Credited && !self.credit_reported)
    }

    /// The invoice this payment still has to pay (not settled yet).
    pub fn invoice_pending(&self) -> bool {
        self.invoice
            .as_ref()
            .is_some_and(|i| i.state == InvoiceState::Pending)
    }
}

/// The fields of a payment record that a poll's reply needs. Polls are
/// the hottest read; decoding only these (serde skips the rest without
/// building it) spares the timestamps, phone and client of every poll.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentSummary {
    pub id: PaymentId,
    pub amount: Amount,
    #[serde(default)]
    pub lang: Lang,
    pub state: State,
    #[serde(default)]
    pub claim: Option<Claim>,
    #[serde(default)]
    pub invoice: Option<InvoiceSettlement>,
}

impl PaymentSummary {
    pub fn state_name(&self) -> StateName {
        self.state.name()
    }
}

impl From<&PaymentRecord> for PaymentSummary {
    fn from(r: &PaymentRecord) -> Self {
        PaymentSummary {
            id: r.id.clone(),
            amount: r.amount,
            lang: r.lang,
            state: r.state.clone(),
            claim: r.claim.clone(),
            invoice: r.invoice.clone(),
        }
    }
}

/// Paying a payment's WHMCS invoice from its credit: which invoice, where
/// that stands, and what settles an ApplyCredit whose outcome is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSettlement {
    pub id: InvoiceId,
    pub state: InvoiceState,
    /// The credit applied to the invoice (set with `applied`).
    #[serde(default)]
    pub applied_amount: Option<Decimal>,
    /// WHMCS's last word on it, or why it waits or failed (for operators).
    #[serde(default)]
    pub message: Option<String>,
    /// ApplyCredit calls sent.
    #[serde(default)]
    pub tries: u32,
    /// The last ApplyCredit sent, with the invoice as read just before it.
    #[serde(default)]
    pub attempt: Option<InvoiceAttempt>,
}

impl InvoiceSettlement {
    /// A settlement not started yet.
    pub fn pending(id: InvoiceId) -> InvoiceSettlement {
        InvoiceSettlement {
            id,
            state: InvoiceState::Pending,
            applied_amount: None,
            message: None,
            tries: 0,
            attempt: None,
        }
    }
}

/// Where paying the invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    /// Not paid yet: the payment is not credited, or the application is
    /// queued, in flight or being settled.
    Pending,
    /// ApplyCredit applied `applied_amount` to the invoice.
    Applied,
    /// The invoice was not unpaid (paid by other means, cancelled, …):
    /// nothing was applied and the credit stays with the client.
    NotUnpaid,
    /// Not applied, for a reason an operator must look at (`message`).
    Failed,
}

/// An ApplyCredit call and the invoice it was made against: after an
/// unknown outcome, GetInvoice's credit compared with `credit_before`
/// shows whether it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceAttempt {
    pub amount: Decimal,
    /// The credit already applied to the invoice before the call.
    pub credit_before: Decimal,
    /// What the invoice still owed before the call (told to an operator
    /// when a later reading cannot be explained).
    pub balance_before: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub trans_id: TransId,
    /// The credit in the store's WHMCS currency, fixed when matched.
    pub credit_amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub at: Timestamp,
}

/// An incoming wallet transaction (from an SMS or the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRecord {
    pub store_id: StoreId,
    pub trans_id: TransId,
    /// `None` for InstaPay transfers, which carry no payer phone.
    pub phone: Option<Phone>,
    pub amount: Amount,
    pub received_at: Timestamp,
    pub stored_at: Timestamp,
    /// The payment that holds the claim now, if any.
    #[serde(default)]
    pub claimed_by: Option<PaymentId>,
    /// The payment it was credited to; set once, never cleared.
    #[serde(default)]
    pub credited_to: Option<PaymentId>,
    /// Set when a claim on it ended (rejected, expired): no check or
    /// transfer matches it again; it waits for an operator to assign it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting_operator: Option<Released>,
}

/// Why a transaction waits for an operator: the claim that ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    pub at: Timestamp,
    /// The payment whose claim ended.
    pub from: PaymentId,
    /// How that payment ended (`rejected` or `expired`).
    pub ended_in: StateName,
}

impl TransactionRecord {
    /// A transaction as it arrives: nobody claims it yet.
    pub fn new(
        store_id: StoreId,
        trans_id: TransId,
        phone: Option<Phone>,
        amount: Amount,
        received_at: Timestamp,
        stored_at: Timestamp,
    ) -> TransactionRecord {
        TransactionRecord {
            store_id,
            trans_id,
            phone,
            amount,
            received_at,
            stored_at,
            claimed_by: None,
            credited_to: None,
            awaiting_operator: None,
        }
    }

    /// Matching may take it: no payment holds it, none was credited with
    /// it, and it does not wait for an operator.
    pub fn is_claimable(&self) -> bool {
        self.is_assignable() && self.awaiting_operator.is_none()
    }

    /// An operator may assign it: no payment holds it and none was
    /// credited with it (whether or not it waits for an operator).
    pub fn is_assignable(&self) -> bool {
        self.claimed_by.is_none() && self.credited_to.is_none()
    }
}

/// What an audit entry records as having happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditEvent {
    /// The payment was created by a check (its first entry).
    Created,
    /// An event the machine took an edge for.
    Machine(EventKind),
}

impl AuditEvent {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditEvent::Created => "created",
            AuditEvent::Machine(kind) => kind.as_str(),
        }
    }
}

impl std::fmt::Display for AuditEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AuditEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AuditEvent, D::Error> {
        let text = String::deserialize(d)?;
        if text == "created" {
            return Ok(AuditEvent::Created);
        }
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .map(AuditEvent::Machine)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown audit event {text:.32}")))
    }
}

/// One line of a payment's history: written in the same sled transaction
/// as the state it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub payment_id: PaymentId,
    /// The payment's version after this entry.
    pub version: u64,
    pub at: Timestamp,
    pub event: AuditEvent,
    pub actor: Actor,
    pub from: Option<StateName>,
    pub to: StateName,
    /// Why anti-spam held the payment (the `matched` entry into `held`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hold_reasons: Vec<HoldReason>,
    /// For a `contested` hold: the other clients waiting for the transfer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub competing_clients: Vec<ClientId>,
    /// A person's note, or the machine reason of a failure (WHMCS's words).
    pub reason: Option<String>,
    pub intents: Vec<IntentKind>,
}

impl AuditEntry {
    /// Entries written before hold reasons had their own field kept them
    /// joined by commas in `reason`; read them into the field.
    pub(super) fn upgraded(mut self) -> AuditEntry {
        let legacy_hold = self.hold_reasons.is_empty()
            && self.to == StateName::Held
            && self.event == AuditEvent::Machine(EventKind::Matched);
        if let (true, Some(text)) = (legacy_hold, self.reason.as_deref()) {
            let parsed: Option<Vec<HoldReason>> = text
                .split(',')
                .map(|r| HoldReason::parse(r.trim()))
                .collect();
            if let Some(reasons) = parsed {
                self.hold_reasons = reasons;
                self.reason = None;
            }
        }
        self
    }
}
