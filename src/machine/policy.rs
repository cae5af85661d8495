//! What the machine's guards read from outside (the store's approvers,
//! its approval window, the retry count) and why an event can be refused.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::domain::Email;

/// The store settings the machine's guards read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Approvers who may decide a held payment (compared case-insensitively).
    pub approvers: Vec<Email>,
    /// How long a held payment waits for a decision before it expires.
    pub approval_window: SignedDuration,
    /// How many failed AddCredit tries end in `credit_failed`.
    pub credit_tries_max: u32,
}

/// Why an event changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    #[error("the payment's state has no edge for this event")]
    NotAllowedInState,
    #[error("this actor may not make this decision")]
    ActorNotAllowed,
    #[error("the payment is final")]
    Final,
}

impl Policy {
    /// A policy that lets no approver decide; used only for scratch contexts.
    pub(super) fn inert() -> Policy {
        Policy {
            approvers: Vec::new(),
            approval_window: SignedDuration::ZERO,
            credit_tries_max: 0,
        }
    }
}
