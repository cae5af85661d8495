//! Retention: what is removed, and when. A payment that ended `expired`
//! without ever claiming a transaction — a check that no money answered,
//! which is what junk checks become — is removed once it has been over
//! for the retention period, with its audit trail; so are quarantine
//! entries. Everything that touched money is kept: credited, rejected and
//! held payments, payments that claimed a transaction, and their audit
//! trails. Each payment goes in one atomic write, so indexes and counts
//! stay true (`verify` passes after a sweep).
//!
//! The velocity rule's lists of check times (per client and per phone)
//! count only the last hour; a list with no check in it is never read
//! again, so it is removed whatever `keep_days` says, a page at a time.

use jiff::{SignedDuration, Timestamp};

use super::{Payments, Written, antispam};
use crate::db::{CounterCursor, DbError};
use crate::machine::StateName;

/// How long what retention may remove is kept, and how much one sweep
/// removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// How long after it ended a removable payment (or after it arrived, a
    /// quarantine entry) is kept.
    pub keep: SignedDuration,
    /// Most payments, and most quarantine entries, one sweep removes.
    pub batch_max: usize,
}

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub payments: usize,
    pub quarantine: usize,
}

impl Swept {
    /// Whether a batch was full, so more may be waiting.
    pub fn full(&self, batch_max: usize) -> bool {
        self.payments >= batch_max || self.quarantine >= batch_max
    }
}

/// What one page of the velocity sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VelocitySwept {
    /// Lists removed: no check in them was inside the window.
    pub removed: usize,
    /// Lists looked at.
    pub looked_at: usize,
    /// Where the next page starts; `None` when this one reached the end.
    pub next: Option<CounterCursor>,
}

impl Payments {
    /// Looks at up to `limit` of the velocity rule's check-time lists
    /// after `cursor` and removes those with no check inside the window
    /// at `now`, in one write.
    pub fn sweep_velocity(
        &self,
        cursor: &CounterCursor,
        now: Timestamp,
        limit: usize,
    ) -> Result<Written<VelocitySwept>, DbError> {
        let before_ms = antispam::window_start_ms(now);
        let page = self.db().check_counters_page(cursor, before_ms, limit)?;
        let removed = if page.stale.is_empty() {
            0
        } else {
            self.db().transact(|tx| {
                let mut removed = 0;
                for key in &page.stale {
                    removed += usize::from(tx.delete_counter_if_stale(key, before_ms)?);
                }
                Ok(removed)
            })?
        };
        let swept = VelocitySwept {
            removed,
            looked_at: page.looked_at,
            next: page.next,
        };
        Ok(self.written(self.db().durable(swept), Vec::new()))
    }

    /// Removes what is older than the retention period at `now`, at most
    /// `batch_max` payments and `batch_max` quarantine entries.
    pub fn sweep(&self, retention: &Retention, now: Timestamp) -> Result<Written<Swept>, DbError> {
        let cutoff = now.checked_sub(retention.keep).unwrap_or(Timestamp::MIN);
        let mut swept = Swept::default();
        for id in self
            .db()
            .ended_unclaimed_before(cutoff, retention.batch_max)?
        {
            let Some(record) = self.db().payment(&id)? else {
                continue;
            };
            // The index says so; the record must agree before it goes.
            let removable = record
                .ended_unclaimed()
                .is_some_and(|ended| ended <= cutoff);
            if !removable {
                continue;
            }
            let owned = self.db().payment_keys(&id)?;
            if self
                .db()
                .transact(|tx| tx.delete_payment(&record, &owned))?
            {
                self.metrics().removed(StateName::Expired);
                swept.payments += 1;
            }
        }
        let old = self.db().quarantined_before(cutoff, retention.batch_max)?;
        if !old.is_empty() {
            self.db().transact(|tx| {
                for id in &old {
                    tx.delete_quarantine(*id)?;
                }
                Ok(())
            })?;
            swept.quarantine = old.len();
        }
        // One flush makes every write above durable.
        Ok(self.written(self.db().durable(swept), Vec::new()))
    }
}
