//! Closing windows whose deadline passed: `search_window_over` for a
//! payment still `searching`, `approval_window_over` for one still `held`.

use jiff::Timestamp;

use super::transition::Applied;
use super::{Payments, Written};
use crate::db::{DbError, DueTimer};

impl Payments {
    /// Timers due at or before `now`, oldest first, at most `limit`.
    pub fn due_timers(&self, now: Timestamp, limit: usize) -> Result<Vec<DueTimer>, DbError> {
        self.db().due_timers(now, limit)
    }

    /// Closes every window due at `now` (at most `limit`), oldest first.
    /// The caller waits for each write to be durable.
    pub fn close_due_windows(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Written<Applied>>, DbError> {
        let mut closed = Vec::new();
        for timer in self.due_timers(now, limit)? {
            let record = self.db().payment(&timer.payment_id)?;
            // An index entry that outlived its deadline is dropped so it
            // cannot block the queue.
            let Some(deadline) = record.and_then(|r| r.deadline).filter(|d| d.at == timer.at)
            else {
                self.db().drop_timer(&timer)?;
                continue;
            };
            // One timer's failure must not stall the timers behind it.
            match self.apply(&timer.payment_id, &deadline.kind.event(), now) {
                Ok(Ok(written)) => closed.push(written),
                Ok(Err(not_applied)) => {
                    tracing::warn!(payment_id = %timer.payment_id, %not_applied, "due timer refused");
                    self.db().drop_timer(&timer)?;
                }
                Err(e) => {
                    tracing::error!(payment_id = %timer.payment_id, error = %e, "due timer failed; it stays due")
                }
            }
        }
        Ok(closed)
    }
}
