//! Durable timers, read from their index: a payment's deadline is mirrored
//! by an index entry ordered by due time, so recovery after a restart is
//! the next scan, with no payment loaded before its time has come.

use jiff::Timestamp;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{self, prefix};
use crate::domain::PaymentId;

/// A payment whose deadline is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    pub payment_id: PaymentId,
    pub at: Timestamp,
}

impl Db {
    /// Timers due at or before `now`, oldest first, at most `limit`.
    pub fn due_timers(&self, now: Timestamp, limit: usize) -> Result<Vec<DueTimer>, DbError> {
        let mut out = Vec::new();
        for item in self.tree(Tree::Index).scan_prefix([prefix::TIMER]).keys() {
            let key = item?;
            let Some(at) = keys::due_time(&key, 1) else {
                continue;
            };
            if at > now || out.len() >= limit {
                break;
            }
            let text = std::str::from_utf8(keys::after_due_time(&key, 1)).unwrap_or_default();
            let payment_id =
                PaymentId::parse(text).map_err(|_| DbError::Key { tree: Tree::Index })?;
            out.push(DueTimer { payment_id, at });
        }
        Ok(out)
    }

    /// Removes a timer index entry that no payment deadline backs.
    pub fn drop_timer(&self, timer: &DueTimer) -> Result<(), DbError> {
        let _barrier = self.barrier_shared();
        self.tree(Tree::Index)
            .remove(keys::timer(timer.at, &timer.payment_id))?;
        Ok(())
    }

    /// Whether a payment's deadline has its timer entry (for `verify`).
    pub fn has_timer(&self, at: Timestamp, id: &PaymentId) -> Result<bool, DbError> {
        Ok(self.tree(Tree::Index).contains_key(keys::timer(at, id))?)
    }
}
