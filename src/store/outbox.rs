//! The outbox queue: entries a transition wrote, found through their lane's
//! due index, performed by a worker, then marked done (or rescheduled).
//! Recovery after a restart is the next scan of each lane.

use jiff::Timestamp;

use super::keys::{self, prefix};
use super::records::{Lane, OutboxEntry, OutboxStatus};
use super::tx::{T, TxResult, TxView};
use super::{Store, StoreError, Written};

/// Where the lane's due entries start in the index.
fn lane_prefix(lane: Lane) -> [u8; 2] {
    [prefix::OUTBOX_DUE, lane.code()]
}

/// The offset of the due time in a lane's index key.
const DUE_OFFSET: usize = 2;

impl Store {
    /// A lane's entries due at or before `now`, oldest first, at most
    /// `limit`, with their outbox keys.
    pub fn due_outbox(
        &self,
        lane: Lane,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, OutboxEntry)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(T::Index).scan_prefix(lane_prefix(lane)).keys() {
            let key = item?;
            let Some(at) = keys::due_time(&key, DUE_OFFSET) else {
                continue;
            };
            if at > now || out.len() >= limit {
                break;
            }
            let outbox_key = keys::after_due_time(&key, DUE_OFFSET).to_vec();
            if let Some(entry) = self.read::<OutboxEntry>(T::Outbox, &outbox_key)? {
                out.push((outbox_key, entry));
            }
        }
        Ok(out)
    }

    /// A lane's waiting entries and the oldest due time among them.
    pub fn outbox_lane_stats(&self, lane: Lane) -> (usize, Option<Timestamp>) {
        let tree = self.tree(T::Index);
        let oldest = tree
            .scan_prefix(lane_prefix(lane))
            .keys()
            .next()
            .and_then(Result::ok)
            .and_then(|k| keys::due_time(&k, DUE_OFFSET));
        (tree.scan_prefix(lane_prefix(lane)).count(), oldest)
    }

    /// Entries waiting in every lane, due or not (recovery log, metrics).
    pub fn outbox_depth(&self) -> usize {
        self.tree(T::Index)
            .scan_prefix([prefix::OUTBOX_DUE])
            .count()
    }

    /// One entry as stored now.
    pub fn outbox_entry(&self, key: &[u8]) -> Result<Option<OutboxEntry>, StoreError> {
        self.read(T::Outbox, key)
    }

    /// Replaces an entry (status, tries, error) and moves it in its lane's
    /// due index; finished entries leave the index. Only if the stored
    /// entry is still `before` (compare and swap): false means someone
    /// else changed it, and nothing was written.
    pub fn update_outbox(
        &self,
        key: &[u8],
        before: &OutboxEntry,
        after: &OutboxEntry,
    ) -> Result<Written<bool>, StoreError> {
        let swapped = self.transact(|view| update_in(view, key, before, after))?;
        Ok(self.written(swapped))
    }
}

/// The compare-and-swap of an outbox entry, inside a transaction.
pub(crate) fn update_in(
    view: &TxView,
    key: &[u8],
    before: &OutboxEntry,
    after: &OutboxEntry,
) -> TxResult<bool> {
    let stored: Option<OutboxEntry> = view.get(T::Outbox, key)?;
    if stored.as_ref() != Some(before) {
        return Ok(false);
    }
    let lane = before.effect.lane().code();
    view.del(T::Index, &keys::outbox_due(lane, before.due_at, key))?;
    if matches!(after.status, OutboxStatus::Pending | OutboxStatus::InFlight) {
        view.put_raw(T::Index, &keys::outbox_due(lane, after.due_at, key), &[])?;
    }
    view.put(T::Outbox, key, after)?;
    Ok(true)
}
