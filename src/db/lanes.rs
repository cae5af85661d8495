//! The outbox's queues: each lane's entries by due time in the index,
//! with a kept count of what waits. A transition queues entries inside its
//! own write; a worker finds them through its lane's due index, performs
//! them, and records the outcome with a compare-and-swap. Recovery after a
//! restart is the next scan.

use jiff::Timestamp;

use super::Db;
use super::counts::lane_prefix;
use super::error::{DbError, Tree};
use super::keys;
use super::outbox::{Lane, OutboxEntry, OutboxKey};
use super::tx::{TxResult, WriteTx, decode};
use crate::domain::PaymentId;

/// The offset of the due time in a lane's index key.
const DUE_OFFSET: usize = 2;
/// Most outbox entries one payment's listing returns.
const OUTBOX_OF_PAYMENT_MAX: usize = 1000;

impl WriteTx<'_> {
    /// Stores a new outbox entry in its lane's queue. The key follows from
    /// the payment, its version and the kind of effect, so a retried sled
    /// transaction writes the same key and no id generator runs inside it.
    pub fn queue_outbox(&self, entry: &OutboxEntry) -> TxResult<OutboxKey> {
        let key = keys::outbox(&entry.payment_id, entry.version, entry.effect.slot());
        self.put(Tree::Outbox, &key, entry)?;
        if entry.is_queued() {
            self.enqueue(entry, &key)?;
        }
        Ok(OutboxKey(key))
    }

    /// Replaces an entry (status, tries, error, due time) and moves it in
    /// its lane's queue; finished entries leave the queue. Only if the
    /// stored entry is still `before` (compare and swap): false means
    /// someone else changed it, and nothing was written.
    pub fn swap_outbox(
        &self,
        key: &OutboxKey,
        before: &OutboxEntry,
        after: &OutboxEntry,
    ) -> TxResult<bool> {
        let stored: Option<OutboxEntry> = self.get(Tree::Outbox, &key.0)?;
        if stored.as_ref() != Some(before) {
            return Ok(false);
        }
        if before.is_queued() {
            self.dequeue(before, &key.0)?;
        }
        if after.is_queued() {
            self.enqueue(after, &key.0)?;
        }
        self.put(Tree::Outbox, &key.0, after)?;
        Ok(true)
    }

    fn enqueue(&self, entry: &OutboxEntry, key: &[u8]) -> TxResult<()> {
        let lane = entry.effect.lane();
        let due = keys::outbox_due(lane.code(), entry.due_at, key);
        self.put_raw(Tree::Index, &due, &[])?;
        self.add_to_count(&keys::lane_count(lane), 1)
    }

    pub(super) fn dequeue(&self, entry: &OutboxEntry, key: &[u8]) -> TxResult<()> {
        let lane = entry.effect.lane();
        let due = keys::outbox_due(lane.code(), entry.due_at, key);
        self.del(Tree::Index, &due)?;
        self.add_to_count(&keys::lane_count(lane), -1)
    }
}

impl Db {
    /// A lane's entries due at or before `now`, oldest first, at most
    /// `limit`, with their keys.
    pub fn due_outbox(
        &self,
        lane: Lane,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(OutboxKey, OutboxEntry)>, DbError> {
        let mut out = Vec::new();
        for item in self.tree(Tree::Index).scan_prefix(lane_prefix(lane)).keys() {
            let key = item?;
            let Some(at) = keys::due_time(&key, DUE_OFFSET) else {
                continue;
            };
            if at > now || out.len() >= limit {
                break;
            }
            let outbox_key = OutboxKey(keys::after_due_time(&key, DUE_OFFSET).to_vec());
            if let Some(entry) = self.outbox_entry(&outbox_key)? {
                out.push((outbox_key, entry));
            }
        }
        Ok(out)
    }

    /// One entry as stored now.
    pub fn outbox_entry(&self, key: &OutboxKey) -> Result<Option<OutboxEntry>, DbError> {
        self.read(Tree::Outbox, &key.0)
    }

    /// The due time of a lane's oldest waiting entry (one key read).
    pub fn oldest_due(&self, lane: Lane) -> Result<Option<Timestamp>, DbError> {
        let first = self
            .tree(Tree::Index)
            .scan_prefix(lane_prefix(lane))
            .keys()
            .next()
            .transpose()?;
        Ok(first.and_then(|k| keys::due_time(&k, DUE_OFFSET)))
    }

    /// The outbox entries a payment's transitions wrote, oldest first.
    pub fn outbox_of(&self, id: &PaymentId) -> Result<Vec<OutboxEntry>, DbError> {
        let mut out = Vec::new();
        for item in self
            .tree(Tree::Outbox)
            .scan_prefix(keys::payment_prefix(id))
            .take(OUTBOX_OF_PAYMENT_MAX)
        {
            let (_, bytes) = item?;
            out.push(decode(Tree::Outbox, &bytes)?);
        }
        Ok(out)
    }
}
