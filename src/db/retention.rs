//! Removing what is no longer worth keeping: payments that ended
//! `expired` without a transaction (found through their own index, oldest
//! first) and quarantine entries. Which of them are old enough is decided
//! in `crate::payments`; this module finds candidates and deletes one
//! payment whole (record, audit trail, outbox entries, index entries and
//! counts) inside one write.
//!
//! A folder written before the retention index and the waiting counts
//! were kept gets them once, when it is opened (as `counts` does).

use jiff::Timestamp;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{self, prefix};
use super::outbox::{OutboxEntry, OutboxKey};
use super::records::PaymentRecord;
use super::tx::{TxResult, WriteTx, decode};
use crate::domain::PaymentId;
use crate::machine::StateName;

/// Entries written per batch by the one-time pass over an older folder.
const BACKFILL_BATCH: usize = 10_000;

/// Every key one payment owns outside its record: its audit entries and
/// its outbox entries (found by a scan, deleted inside the write).
#[derive(Debug, Clone, Default)]
pub struct PaymentKeys {
    audit: Vec<Vec<u8>>,
    outbox: Vec<OutboxKey>,
}

impl Db {
    /// Payments that ended `expired` without a transaction at or before
    /// `before`, oldest first, at most `limit`.
    pub fn ended_unclaimed_before(
        &self,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<PaymentId>, DbError> {
        let mut out = Vec::new();
        for item in self
            .tree(Tree::Index)
            .scan_prefix([prefix::RETENTION])
            .keys()
        {
            let key = item?;
            let Some(at) = keys::due_time(&key, 1) else {
                continue;
            };
            if at > before || out.len() >= limit {
                break;
            }
            let text = std::str::from_utf8(keys::after_due_time(&key, 1)).unwrap_or_default();
            out.push(PaymentId::parse(text).map_err(|_| DbError::Key { tree: Tree::Index })?);
        }
        Ok(out)
    }

    /// Whether the retention index lists this payment at `at` (for `verify`).
    pub fn has_retention_entry(&self, at: Timestamp, id: &PaymentId) -> Result<bool, DbError> {
        Ok(self
            .tree(Tree::Index)
            .contains_key(keys::retention(at, id))?)
    }

    /// The audit and outbox keys of one payment.
    pub fn payment_keys(&self, id: &PaymentId) -> Result<PaymentKeys, DbError> {
        let prefix = keys::payment_prefix(id);
        let mut found = PaymentKeys::default();
        for key in self.tree(Tree::Audit).scan_prefix(&prefix).keys() {
            found.audit.push(key?.to_vec());
        }
        for key in self.tree(Tree::Outbox).scan_prefix(&prefix).keys() {
            found.outbox.push(OutboxKey(key?.to_vec()));
        }
        Ok(found)
    }

    /// Quarantine entries kept at or before `before`, oldest first, at most
    /// `limit` (ids grow with arrival, so the scan stops at the first
    /// newer entry).
    pub fn quarantined_before(&self, before: Timestamp, limit: usize) -> Result<Vec<u64>, DbError> {
        let mut out = Vec::new();
        for item in self.tree(Tree::Quarantine).iter() {
            let (key, bytes) = item?;
            let entry: super::QuarantineEntry = decode(Tree::Quarantine, &bytes)?;
            if entry.at > before || out.len() >= limit {
                break;
            }
            let id = <[u8; 8]>::try_from(key.as_ref()).map_err(|_| DbError::Key {
                tree: Tree::Quarantine,
            })?;
            out.push(u64::from_be_bytes(id));
        }
        Ok(out)
    }
}

impl WriteTx<'_> {
    /// Deletes a payment whole, if it is still exactly `record`: its record,
    /// every index entry and count derived from it, its audit entries and
    /// its outbox entries (dequeued first if they were waiting). False, and
    /// nothing written, when the payment changed since it was read.
    pub fn delete_payment(&self, record: &PaymentRecord, owned: &PaymentKeys) -> TxResult<bool> {
        if self.payment(&record.id)?.as_ref() != Some(record) {
            return Ok(false);
        }
        self.unindex(record)?;
        self.del_search_entries(record)?;
        self.del(Tree::Payments, &keys::payment(&record.id))?;
        for key in &owned.audit {
            self.del(Tree::Audit, key)?;
        }
        for key in &owned.outbox {
            if let Some(entry) = self.get::<OutboxEntry>(Tree::Outbox, &key.0)? {
                if entry.is_queued() {
                    self.dequeue(&entry, &key.0)?;
                }
                self.del(Tree::Outbox, &key.0)?;
            }
        }
        Ok(true)
    }

    /// Deletes one quarantine entry.
    pub fn delete_quarantine(&self, id: u64) -> TxResult<()> {
        self.del(Tree::Quarantine, &id.to_be_bytes())
    }
}

/// Writes the waiting counts and the retention index of a folder from
/// before they were kept, once, at open (nothing else writes then).
pub(super) fn keep_retention_index(
    payments: &sled::Tree,
    index: &sled::Tree,
) -> Result<(), DbError> {
    if index.get(keys::retention_kept())?.is_some() {
        return Ok(());
    }
    count_waiting(index)?;
    let mut batch = sled::Batch::default();
    let mut queued = 0;
    let expired = keys::state_prefix(StateName::Expired, None);
    for item in index.scan_prefix(&expired).keys() {
        let key = item?;
        let tail = key.rsplit(|b| *b == 0).next().unwrap_or_default();
        let Some(bytes) = payments.get(tail)? else {
            continue;
        };
        let record: PaymentRecord = decode(Tree::Payments, &bytes)?;
        if let Some(ended) = record.ended_unclaimed() {
            batch.insert(keys::retention(ended, &record.id), &[][..]);
            queued += 1;
        }
        if queued >= BACKFILL_BATCH {
            index.apply_batch(std::mem::take(&mut batch))?;
            queued = 0;
        }
    }
    batch.insert(keys::retention_kept(), &[][..]);
    index.apply_batch(batch)?;
    index.flush()?;
    Ok(())
}

/// Counts the waiting index per (store, phone, amount): its keys are
/// sorted by that group, so one pass counts each group in turn.
fn count_waiting(index: &sled::Tree) -> Result<(), DbError> {
    let mut batch = sled::Batch::default();
    let mut current: Option<(Vec<u8>, u64)> = None;
    for item in index.scan_prefix([prefix::WAITING]).keys() {
        let key = item?;
        let group = keys::waiting_count_of(&key, super::PAYMENT_ID_LEN)
            .ok_or(DbError::Key { tree: Tree::Index })?;
        current = match current {
            Some((g, n)) if g == group => Some((g, n + 1)),
            Some((g, n)) => {
                batch.insert(g, &n.to_be_bytes()[..]);
                Some((group, 1))
            }
            None => Some((group, 1)),
        };
    }
    if let Some((g, n)) = current {
        batch.insert(g, &n.to_be_bytes()[..]);
    }
    index.apply_batch(batch)?;
    Ok(())
}
