//! The quarantine: everything the ingest endpoint could not use (not a
//! receipt, untrusted sender, a trans_id seen with other data), kept with
//! its reason for operators. Never dropped.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::tx::{T, decode, encode};
use super::{Store, StoreError, Written};
use crate::domain::StoreId;

/// Longest payload text kept per entry.
const QUARANTINE_TEXT_CHARS_MAX: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Increasing: the order of arrival.
    pub id: u64,
    pub at: Timestamp,
    pub store_id: StoreId,
    /// Machine-readable reason, e.g. `untrusted_sender`.
    pub reason: String,
    /// Human detail, e.g. which field was missing.
    pub detail: String,
    /// The sender id, for forwarded SMS.
    pub from: Option<String>,
    /// The payload as received (cut at 4096 characters).
    pub text: String,
}

impl Store {
    /// Keeps a refused payload; returns its id once durable.
    pub fn quarantine(
        &self,
        mut entry: QuarantineEntry,
    ) -> Result<Written<QuarantineEntry>, StoreError> {
        entry.id = self.inner_db().generate_id()?;
        if entry.text.chars().count() > QUARANTINE_TEXT_CHARS_MAX {
            entry.text = entry.text.chars().take(QUARANTINE_TEXT_CHARS_MAX).collect();
        }
        self.tree(T::Quarantine)
            .insert(entry.id.to_be_bytes(), encode(&entry)?)?;
        Ok(self.written(entry))
    }

    /// Newest first, at most `limit`, optionally of one store.
    pub fn quarantined(
        &self,
        store: Option<&StoreId>,
        limit: usize,
    ) -> Result<Vec<QuarantineEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(T::Quarantine).iter().rev() {
            if out.len() >= limit {
                break;
            }
            let (_, bytes) = item?;
            let entry: QuarantineEntry = decode(T::Quarantine, &bytes)?;
            if store.is_none_or(|s| *s == entry.store_id) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}
