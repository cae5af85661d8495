//! Durable timers, read from their index: recovery after a restart is just
//! the next scan, with no payment loaded into memory until its time has come.

use jiff::Timestamp;

use super::keys::{self, prefix};
use super::tx::T;
use super::{Applied, Store, StoreError, Written};
use crate::domain::PaymentId;
use crate::machine::{DeadlineKind, Event};

/// A payment whose window has closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    pub payment_id: PaymentId,
    pub at: Timestamp,
}

impl DueTimer {
    /// The event a closed window sends, by the kind of window.
    pub fn event(kind: DeadlineKind) -> Event {
        match kind {
            DeadlineKind::Search => Event::SearchWindowOver,
            DeadlineKind::Approval => Event::ApprovalWindowOver,
        }
    }
}

impl Store {
    /// Timers due at or before `now`, oldest first, at most `limit`.
    pub fn due_timers(&self, now: Timestamp, limit: usize) -> Result<Vec<DueTimer>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(T::Index).scan_prefix([prefix::TIMER]).keys() {
            let key = item?;
            let Some(at) = keys::due_time(&key, 1) else {
                continue;
            };
            if at > now || out.len() >= limit {
                break;
            }
            let text = std::str::from_utf8(keys::after_due_time(&key, 1)).unwrap_or_default();
            let payment_id =
                PaymentId::parse(text).map_err(|e| StoreError::Decode(e.to_string()))?;
            out.push(DueTimer { payment_id, at });
        }
        Ok(out)
    }

    /// Closes every window due at `now` (at most `limit`), oldest first:
    /// `search_window_over` or `approval_window_over` for each payment.
    /// The caller waits for each write to be durable.
    pub fn close_due_windows(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Written<Applied>>, StoreError> {
        let mut closed = Vec::new();
        for timer in self.due_timers(now, limit)? {
            let record = self.payment(&timer.payment_id)?;
            // An index entry that outlived its deadline is dropped so it
            // cannot block the queue.
            let Some(deadline) = record.and_then(|r| r.deadline).filter(|d| d.at == timer.at)
            else {
                self.drop_timer(&timer)?;
                continue;
            };
            // One timer's failure must not stall the timers behind it.
            match self.apply(&timer.payment_id, &DueTimer::event(deadline.kind), now) {
                Ok(Ok(written)) => closed.push(written),
                Ok(Err(not_applied)) => {
                    tracing::warn!(payment_id = %timer.payment_id, %not_applied, "due timer refused");
                    self.drop_timer(&timer)?;
                }
                Err(e) => {
                    tracing::error!(payment_id = %timer.payment_id, error = %e, "due timer failed; it stays due")
                }
            }
        }
        Ok(closed)
    }

    /// Removes a timer index entry that no payment deadline backs.
    pub fn drop_timer(&self, timer: &DueTimer) -> Result<(), StoreError> {
        self.tree(T::Index)
            .remove(keys::timer(timer.at, &timer.payment_id))?;
        Ok(())
    }
}
