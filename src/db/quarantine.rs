//! The quarantine: everything ingestion could not use (not a receipt, an
//! untrusted sender, a trans_id seen with other data), kept with its reason
//! for operators. Never dropped by ingestion.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::{DbError, Tree};
use super::tx::encode;
use super::{Db, Durable};
use crate::domain::StoreId;

/// Longest payload text kept per entry.
const QUARANTINE_TEXT_CHARS_MAX: usize = 4096;

/// Why a payload was kept instead of used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    /// The SMS did not come from a Vodafone Cash sender id.
    UntrustedSender,
    /// A trusted sender, but not a money-received notification.
    NotAPayment,
    /// A receipt whose fields could not be read.
    Unparseable,
    /// Longer than any real notification.
    TooLong,
    /// The trans_id is stored with a different phone or amount.
    Conflict,
    /// The transfer's own time is further in the future than clocks can
    /// differ: a misread date (day and year swapped), never matched.
    FutureTransferTime,
    /// A reason this version does not know (written by a newer one).
    #[serde(other)]
    Other,
}

impl QuarantineReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            QuarantineReason::UntrustedSender => "untrusted_sender",
            QuarantineReason::NotAPayment => "not_a_payment",
            QuarantineReason::Unparseable => "unparseable",
            QuarantineReason::TooLong => "too_long",
            QuarantineReason::Conflict => "conflict",
            QuarantineReason::FutureTransferTime => "future_transfer_time",
            QuarantineReason::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Increasing: the order of arrival (given when it is stored).
    pub id: u64,
    pub at: Timestamp,
    pub store_id: StoreId,
    pub reason: QuarantineReason,
    /// Human detail, e.g. which field was missing.
    pub detail: String,
    /// The sender id, for forwarded SMS.
    pub from: Option<String>,
    /// The payload as received (cut at 4096 characters).
    pub text: String,
}

impl Db {
    /// Keeps a refused payload under a new increasing id.
    pub fn insert_quarantine(
        &self,
        mut entry: QuarantineEntry,
    ) -> Result<Durable<QuarantineEntry>, DbError> {
        let _barrier = self.barrier_shared();
        entry.id = self.inner.db.generate_id()?;
        if entry.text.chars().count() > QUARANTINE_TEXT_CHARS_MAX {
            entry.text = entry.text.chars().take(QUARANTINE_TEXT_CHARS_MAX).collect();
        }
        self.tree(Tree::Quarantine)
            .insert(entry.id.to_be_bytes(), encode(Tree::Quarantine, &entry)?)?;
        Ok(self.durable(entry))
    }
}
