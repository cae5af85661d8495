//! Intents: what a transition decided should happen. The store applies the
//! storage intents inside the transition's own write; the others become
//! outbox entries that the workers perform afterwards.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::event::Event;
use super::state::HoldReason;
use crate::domain::TransId;

/// Which window a deadline closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// `searching`: the store's search window.
    Search,
    /// `held`: the store's approval window.
    Approval,
}

impl DeadlineKind {
    /// The event a closed window sends to its payment: the one place that
    /// says which.
    pub fn event(self) -> Event {
        match self {
            DeadlineKind::Search => Event::SearchWindowOver,
            DeadlineKind::Approval => Event::ApprovalWindowOver,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "intent", rename_all = "snake_case")]
pub enum Intent {
    /// Storage: mark the transaction claimed by this payment.
    ClaimTransaction {
        trans_id: TransId,
        credit_amount: Decimal,
    },
    /// Storage: the claim ends; the transaction waits for an operator to
    /// assign it (no check or rematch can take it: whoever was refused
    /// could otherwise simply check again).
    ReleaseTransaction,
    /// Storage: the transaction is credited (it can never be claimed again)
    /// and the (store, phone, client) binding is learned for anti-spam.
    SettleTransaction,
    /// Storage: the payment's deadline (a durable timer) is set; any earlier
    /// deadline is dropped by every transition.
    SetDeadline { kind: DeadlineKind, at: Timestamp },
    /// Outbox: email every approver of the store a signed link.
    NotifyApprovers { reasons: Vec<HoldReason> },
    /// Outbox: call WHMCS AddCredit, not before the given time.
    SendAddCredit { not_before: Timestamp },
    /// Storage: an operator's retry closes the store's WHMCS breaker, so
    /// its calls resume (one call tells whether the problem is fixed).
    ResetBreaker,
}

/// An intent's name without its data, for the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    ClaimTransaction,
    ReleaseTransaction,
    SettleTransaction,
    SetDeadline,
    NotifyApprovers,
    SendAddCredit,
    ResetBreaker,
}

impl Intent {
    pub fn kind(&self) -> IntentKind {
        match self {
            Intent::ClaimTransaction { .. } => IntentKind::ClaimTransaction,
            Intent::ReleaseTransaction => IntentKind::ReleaseTransaction,
            Intent::SettleTransaction => IntentKind::SettleTransaction,
            Intent::SetDeadline { .. } => IntentKind::SetDeadline,
            Intent::NotifyApprovers { .. } => IntentKind::NotifyApprovers,
            Intent::SendAddCredit { .. } => IntentKind::SendAddCredit,
            Intent::ResetBreaker => IntentKind::ResetBreaker,
        }
    }
}

impl IntentKind {
    /// Whether the store writes an outbox entry for this intent (approval
    /// emails and AddCredit). A release queued a rematch until claims
    /// that ended began to wait for an operator instead.
    pub fn queues_outbox(&self) -> bool {
        matches!(
            self,
            IntentKind::NotifyApprovers | IntentKind::SendAddCredit
        )
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            IntentKind::ClaimTransaction => "claim tx",
            IntentKind::ReleaseTransaction => "release tx to an operator",
            IntentKind::SettleTransaction => "settle tx",
            IntentKind::SetDeadline => "set deadline",
            IntentKind::NotifyApprovers => "email approvers",
            IntentKind::SendAddCredit => "AddCredit",
            IntentKind::ResetBreaker => "reset breaker",
        }
    }
}
