//! Events: what can happen to a payment, and who can make it happen.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::state::HoldReason;
use crate::domain::{ClientId, Email, KeyName, TransId};

/// Who caused an event. System events (matching, timers, WHMCS answers)
/// carry no actor field; decisions carry one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The daemon itself: matching, timers, the outbox worker.
    System,
    /// A store approver, identified by the email address the link went to.
    Approver {
        email: Email,
        ip: Option<String>,
        user_agent: Option<String>,
    },
    /// An operator using the admin API or the console, named by the
    /// credential they used (entries from before store keys existed were
    /// all made with the admin token, which is what they read as).
    Operator {
        #[serde(default)]
        by: OperatorName,
        ip: Option<String>,
    },
}

/// The credential behind an operator's decision: the admin token, or one
/// of a store's keys by its name. Stored and shown as `admin` or
/// `key:<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum OperatorName {
    #[default]
    Admin,
    Key(KeyName),
}

impl OperatorName {
    const KEY_PREFIX: &'static str = "key:";

    pub fn parse(s: &str) -> Option<OperatorName> {
        if s == "admin" {
            return Some(OperatorName::Admin);
        }
        let name = s.strip_prefix(Self::KEY_PREFIX)?;
        KeyName::parse(name).ok().map(OperatorName::Key)
    }
}

impl std::fmt::Display for OperatorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OperatorName::Admin => f.write_str("admin"),
            OperatorName::Key(name) => write!(f, "{}{name}", Self::KEY_PREFIX),
        }
    }
}

impl Serialize for OperatorName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OperatorName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OperatorName::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown operator {text:.80}")))
    }
}

/// The kind of actor, for guards and the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    System,
    Approver,
    Operator,
}

impl Actor {
    /// Who may decide a held payment (approve or reject it): an operator,
    /// or an approver the store lists. The one place this rule is written;
    /// the machine's guards, the model and `verify` all ask it.
    pub fn may_decide(&self, approvers: &[Email]) -> bool {
        match self {
            Actor::Operator { .. } => true,
            Actor::Approver { email, .. } => approvers.contains(email),
            Actor::System => false,
        }
    }

    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::System => ActorKind::System,
            Actor::Approver { .. } => ActorKind::Approver,
            Actor::Operator { .. } => ActorKind::Operator,
        }
    }
}

/// A human decision: who made it and an optional note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub actor: Actor,
    pub note: Option<String>,
}

/// What matching found: the claimed transaction and what anti-spam decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    pub trans_id: TransId,
    /// The amount to credit in the store's WHMCS currency (2 places).
    pub credit_amount: Decimal,
    /// Empty when the rules pass; any reason holds the payment.
    pub hold_reasons: Vec<HoldReason>,
    /// For a `contested` hold: the other clients whose payments wait for a
    /// transfer of this phone and amount (oldest first), so the approver
    /// sees who else claims it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub competing_clients: Vec<ClientId>,
}

/// An operator hands a transaction that waits for one (its claim was
/// rejected or expired, or it never matched) to a `searching` payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub trans_id: TransId,
    /// The amount to credit in the store's WHMCS currency (2 places).
    pub credit_amount: Decimal,
    pub decision: Decision,
}

/// Everything that can happen to a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Matching claimed a transaction for this payment.
    Matched(Match),
    /// No transaction arrived within the store's search window.
    SearchWindowOver,
    /// An approver or operator approved a held payment.
    Approve(Decision),
    /// An approver or operator rejected the payment.
    Reject(Decision),
    /// No approver decided within the approval window.
    ApprovalWindowOver,
    /// WHMCS confirmed the AddCredit call.
    CreditSucceeded,
    /// Nothing reached WHMCS (the connection could not be opened); the
    /// worker chose when to try again (backoff with jitter).
    CreditTransientFailure { reason: String, retry_at: Timestamp },
    /// WHMCS refused for a reason a human must fix.
    CreditPermanentFailure { reason: String },
    /// After an unknown outcome, GetCredits shows the credit.
    ReconciledFound,
    /// After an unknown outcome, GetCredits shows no credit: safe to send again.
    ReconciledAbsent,
    /// After an unknown outcome, GetCredits could not settle it.
    Unreconcilable { reason: String },
    /// An operator asks to try the credit again.
    Retry(Decision),
    /// An operator checked WHMCS and found the credit there.
    MarkCredited(Decision),
    /// An operator assigned a transaction to this waiting payment.
    Assign(Assignment),
}

/// An event's name without its data, for the table and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Matched,
    SearchWindowOver,
    Approve,
    Reject,
    ApprovalWindowOver,
    CreditSucceeded,
    CreditTransientFailure,
    CreditPermanentFailure,
    ReconciledFound,
    ReconciledAbsent,
    Unreconcilable,
    Retry,
    MarkCredited,
    Assign,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::Matched,
        EventKind::SearchWindowOver,
        EventKind::Approve,
        EventKind::Reject,
        EventKind::ApprovalWindowOver,
        EventKind::CreditSucceeded,
        EventKind::CreditTransientFailure,
        EventKind::CreditPermanentFailure,
        EventKind::ReconciledFound,
        EventKind::ReconciledAbsent,
        EventKind::Unreconcilable,
        EventKind::Retry,
        EventKind::MarkCredited,
        EventKind::Assign,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Matched => "matched",
            EventKind::SearchWindowOver => "search_window_over",
            EventKind::Approve => "approve",
            EventKind::Reject => "reject",
            EventKind::ApprovalWindowOver => "approval_window_over",
            EventKind::CreditSucceeded => "credit_succeeded",
            EventKind::CreditTransientFailure => "credit_transient_failure",
            EventKind::CreditPermanentFailure => "credit_permanent_failure",
            EventKind::ReconciledFound => "reconciled_found",
            EventKind::ReconciledAbsent => "reconciled_absent",
            EventKind::Unreconcilable => "unreconcilable",
            EventKind::Retry => "retry",
            EventKind::MarkCredited => "mark_credited",
            EventKind::Assign => "assign",
        }
    }
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Matched(_) => EventKind::Matched,
            Event::SearchWindowOver => EventKind::SearchWindowOver,
            Event::Approve(_) => EventKind::Approve,
            Event::Reject(_) => EventKind::Reject,
            Event::ApprovalWindowOver => EventKind::ApprovalWindowOver,
            Event::CreditSucceeded => EventKind::CreditSucceeded,
            Event::CreditTransientFailure { .. } => EventKind::CreditTransientFailure,
            Event::CreditPermanentFailure { .. } => EventKind::CreditPermanentFailure,
            Event::ReconciledFound => EventKind::ReconciledFound,
            Event::ReconciledAbsent => EventKind::ReconciledAbsent,
            Event::Unreconcilable { .. } => EventKind::Unreconcilable,
            Event::Retry(_) => EventKind::Retry,
            Event::MarkCredited(_) => EventKind::MarkCredited,
            Event::Assign(_) => EventKind::Assign,
        }
    }

    /// Who caused the event: the decision's actor, or the system.
    pub fn actor(&self) -> Actor {
        match self {
            Event::Approve(d) | Event::Reject(d) | Event::Retry(d) | Event::MarkCredited(d) => {
                d.actor.clone()
            }
            Event::Assign(a) => a.decision.actor.clone(),
            _ => Actor::System,
        }
    }

    /// The human note or machine reason that explains the event, if any
    /// (hold reasons are data of their own, in the `matched` event).
    pub fn reason(&self) -> Option<String> {
        match self {
            Event::Approve(d) | Event::Reject(d) | Event::Retry(d) | Event::MarkCredited(d) => {
                d.note.clone()
            }
            Event::Assign(a) => a.decision.note.clone(),
            Event::CreditTransientFailure { reason, .. }
            | Event::CreditPermanentFailure { reason }
            | Event::Unreconcilable { reason } => Some(reason.clone()),
            _ => None,
        }
    }
}
