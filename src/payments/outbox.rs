//! The outbox as the workers see it: the entries due in a lane, one entry
//! as stored now, and the compare-and-swap that records what performing
//! it did.

use jiff::Timestamp;

use super::{Payments, Written};
use crate::db::{DbError, Lane, OutboxEntry, OutboxKey};

impl Payments {
    /// A lane's entries due at or before `now`, oldest first, at most `limit`.
    pub fn due_outbox(
        &self,
        lane: Lane,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(OutboxKey, OutboxEntry)>, DbError> {
        self.db().due_outbox(lane, now, limit)
    }

    /// One entry as stored now (a scan's copy may be stale).
    pub fn outbox_entry(&self, key: &OutboxKey) -> Result<Option<OutboxEntry>, DbError> {
        self.db().outbox_entry(key)
    }

    /// Replaces an entry only if it is still `before`: false means someone
    /// else changed it, and nothing was written.
    pub fn update_outbox(
        &self,
        key: &OutboxKey,
        before: &OutboxEntry,
        after: &OutboxEntry,
    ) -> Result<Written<bool>, DbError> {
        let pending = self.db().write(|tx| tx.swap_outbox(key, before, after))?;
        Ok(self.written(pending, Vec::new()))
    }

    /// Entries waiting in a lane and the due time of the oldest (for
    /// metrics: two key reads, no scan).
    pub fn lane_stats(&self, lane: Lane) -> Result<(u64, Option<Timestamp>), DbError> {
        Ok((self.db().lane_count(lane)?, self.db().oldest_due(lane)?))
    }

    /// Entries waiting in every lane, due or not.
    pub fn outbox_depth(&self) -> Result<u64, DbError> {
        let mut depth = 0u64;
        for lane in Lane::ALL {
            depth = depth.saturating_add(self.db().lane_count(lane)?);
        }
        Ok(depth)
    }
}
