//! The outbox's records: work a transition decided on, written in the same
//! sled transaction as the transition, performed by a worker afterwards.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::{Email, InvoiceId, PaymentId, TransId};
use crate::machine::HoldReason;

/// Where an outbox entry is stored. Opaque outside the persistence layer:
/// workers hand it back to say which entry they mean.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutboxKey(pub(super) Vec<u8>);

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
    /// Approvers already emailed (or refused by their mail server), so a
    /// retry never emails them again.
    #[serde(default, alias = "parts_done")]
    pub approver_sends: Vec<ApproverSend>,
    /// An attempt's outcome is unknown (timeout, cut connection, crash in
    /// flight): nothing may be sent again before a reading (GetCredits for
    /// AddCredit, GetInvoice for ApplyCredit) settles it.
    #[serde(default)]
    pub needs_reconcile: bool,
    /// Readings made to settle an unknown outcome.
    #[serde(default)]
    pub reconcile_tries: u32,
}

impl OutboxEntry {
    /// A new entry, due at `due_at`, not tried yet.
    pub fn new(
        payment_id: PaymentId,
        version: u64,
        effect: Effect,
        due_at: Timestamp,
        now: Timestamp,
    ) -> OutboxEntry {
        OutboxEntry {
            payment_id,
            version,
            effect,
            due_at,
            created_at: now,
            tries: 0,
            status: OutboxStatus::Pending,
            last_error: None,
            approver_sends: Vec::new(),
            needs_reconcile: false,
            reconcile_tries: 0,
        }
    }

    /// Whether this approver's email was already dealt with.
    pub fn sent_to(&self, approver: &Email) -> bool {
        self.approver_sends.iter().any(|s| s.approver == *approver)
    }

    /// Waiting to be performed (or being performed): in its lane's queue.
    pub fn is_queued(&self) -> bool {
        matches!(self.status, OutboxStatus::Pending | OutboxStatus::InFlight)
    }
}

/// What became of one approver's email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApproverSend {
    pub approver: Email,
    pub outcome: SendOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendOutcome {
    /// The mail server (or the mail folder) took it.
    Sent,
    /// The mail server refused it for good; not retried.
    Refused,
}

impl<'de> Deserialize<'de> for ApproverSend {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ApproverSend, D::Error> {
        /// Entries written before this type kept `approver` or
        /// `failed:approver` strings.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Legacy(String),
            Typed {
                approver: Email,
                outcome: SendOutcome,
            },
        }
        match Stored::deserialize(d)? {
            Stored::Typed { approver, outcome } => Ok(ApproverSend { approver, outcome }),
            Stored::Legacy(text) => {
                let (address, outcome) = match text.strip_prefix("failed:") {
                    Some(rest) => (rest, SendOutcome::Refused),
                    None => (text.as_str(), SendOutcome::Sent),
                };
                let approver = Email::parse(address).map_err(serde::de::Error::custom)?;
                Ok(ApproverSend { approver, outcome })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Email each approver of the store a signed link.
    NotifyApprovers { reasons: Vec<HoldReason> },
    /// Call WHMCS AddCredit for the payment's claim.
    AddCredit,
    /// Written by earlier versions when a claim ended: the released
    /// transaction looked for the next waiting payment. Read only; it now
    /// puts the transaction in the operator's hands.
    Rematch { trans_id: TransId },
    /// Pay the credited payment's invoice from the credit: GetInvoice,
    /// then WHMCS ApplyCredit (at most once).
    ApplyCredit { invoice: InvoiceId },
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

    pub(super) fn code(&self) -> u8 {
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
            Effect::AddCredit | Effect::ApplyCredit { .. } => Lane::Whmcs,
            Effect::Rematch { .. } => Lane::Internal,
        }
    }

    /// Its position among one transition's outbox entries.
    pub(super) fn slot(&self) -> u8 {
        match self {
            Effect::NotifyApprovers { .. } => 0,
            Effect::AddCredit => 1,
            Effect::Rematch { .. } => 2,
            Effect::ApplyCredit { .. } => 3,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_approver_marks_decode_into_typed_sends() {
        let json = r#"{"payment_id":"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa","version":2,
            "effect":{"kind":"notify_approvers","reasons":["new_phone"]},
            "due_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z",
            "parts_done":["a@example.com","failed:B@example.com"]}"#;
        let entry: OutboxEntry = serde_json::from_str(json).unwrap();
        let a = Email::parse("a@example.com").unwrap();
        let b = Email::parse("b@example.com").unwrap();
        assert_eq!(
            entry.approver_sends,
            vec![
                ApproverSend {
                    approver: a.clone(),
                    outcome: SendOutcome::Sent
                },
                ApproverSend {
                    approver: b.clone(),
                    outcome: SendOutcome::Refused
                },
            ]
        );
        assert!(entry.sent_to(&a) && entry.sent_to(&b));
        let again: OutboxEntry =
            serde_json::from_str(&serde_json::to_string(&entry).unwrap()).unwrap();
        assert_eq!(again, entry);
    }
}
