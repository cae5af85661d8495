//! What sled holds, as serde records (JSON: readable in a debugger, and
//! new fields default so old records still decode).

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Amount, ClientId, Lang, PaymentId, Phone, StoreId, TransId};
use crate::machine::{Actor, DeadlineKind, HoldReason, IntentKind, State, StateName};

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
        }
    }
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
}

/// One line of a payment's history: written in the same sled transaction
/// as the state it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub payment_id: PaymentId,
    /// The payment's version after this entry.
    pub version: u64,
    pub at: Timestamp,
    /// The event's name, or `created` for the first entry.
    pub event: String,
    pub actor: Actor,
    pub from: Option<StateName>,
    pub to: StateName,
    pub reason: Option<String>,
    pub intents: Vec<IntentKind>,
}

/// Work a transition decided on, performed by a worker after the write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub payment_id: PaymentId,
    /// The payment version whose transition wrote it.
    pub version: u64,
    pub effect: Effect,
    /// Not to be performed before this time (backoff).
    pub due_at: Timestamp,
    pub created_at: Timestamp,
    /// Performing tries so far.
    #[serde(default)]
    pub tries: u32,
    #[serde(default)]
    pub status: OutboxStatus,
    #[serde(default)]
    pub last_error: Option<String>,
    /// Parts already performed (approvers already emailed), so a retry
    /// never repeats them.
    #[serde(default)]
    pub parts_done: Vec<String>,
    /// An attempt's outcome is unknown (timeout, cut connection, crash in
    /// flight): nothing may be sent again before GetCredits settles it.
    #[serde(default)]
    pub needs_reconcile: bool,
    /// GetCredits tries made to settle an unknown outcome.
    #[serde(default)]
    pub reconcile_tries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Email each approver of the store a signed link.
    NotifyApprovers { reasons: Vec<HoldReason> },
    /// Call WHMCS AddCredit for the payment's claim.
    AddCredit,
    /// A released transaction looks for the oldest payment waiting for it.
    Rematch { trans_id: crate::domain::TransId },
}

/// Each kind of effect waits in its own queue, so a stuck kind (a WHMCS
/// that is down) never delays another (an approval email).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Mail,
    Whmcs,
    Internal,
}

impl Lane {
    pub const ALL: [Lane; 3] = [Lane::Mail, Lane::Whmcs, Lane::Internal];

    pub fn name(&self) -> &'static str {
        match self {
            Lane::Mail => "mail",
            Lane::Whmcs => "whmcs",
            Lane::Internal => "internal",
        }
    }

    pub fn code(&self) -> u8 {
        match self {
            Lane::Mail => b'm',
            Lane::Whmcs => b'w',
            Lane::Internal => b'i',
        }
    }
}

impl Effect {
    pub fn lane(&self) -> Lane {
        match self {
            Effect::NotifyApprovers { .. } => Lane::Mail,
            Effect::AddCredit => Lane::Whmcs,
            Effect::Rematch { .. } => Lane::Internal,
        }
    }

    /// Its position among one transition's outbox entries.
    pub fn slot(&self) -> u8 {
        match self {
            Effect::NotifyApprovers { .. } => 0,
            Effect::AddCredit => 1,
            Effect::Rematch { .. } => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its due time.
    #[default]
    Pending,
    /// A worker recorded that it is performing it (durable before the call).
    InFlight,
    /// Performed; kept for the audit trail.
    Done,
    /// Given up after its tries (the reason is in `last_error`); kept.
    Failed,
}
