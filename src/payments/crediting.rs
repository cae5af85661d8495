//! What a WHMCS AddCredit attempt did, recorded so that the credit is sent
//! at most once. An attempt is marked in flight (durably) before the call;
//! its end applies the payment's event, closes the outbox entry and, for a
//! credential or IP error, opens the store's breaker — all in one write, so
//! a crash leaves either the attempt in flight (to be reconciled) or its
//! whole outcome. After an unknown outcome, [`reconcile_step`] is the rule
//! that decides, from GetCredits' readings, when the credit may be sent
//! again.

use jiff::{SignedDuration, Timestamp};

use super::transition::{Applied, NotApplied, transition_in};
use super::{Payments, Written};
use crate::db::{
    Breaker, DbError, Effect, Lane, OutboxEntry, OutboxKey, OutboxStatus, PaymentRecord,
};
use crate::machine::{Event, State};

/// Readings of GetCredits, `reconcile_delay_ms` or more apart, that must
/// all miss the credit before it is sent again: WHMCS may still be running
/// the first call (PHP goes on after our timeout), so absent once is not
/// enough.
pub const ABSENT_READINGS: u32 = 2;

/// What one GetCredits call said about a credit whose outcome is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileReading {
    /// The credit with this transaction's description is in WHMCS.
    Found,
    /// WHMCS answered and the credit is not there.
    Absent,
    /// WHMCS refused GetCredits (a human must fix something).
    Refused(String),
    /// No answer that says either way.
    Failed(String),
}

/// What to do after a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileStep {
    /// Record this event for the payment.
    Record(Event),
    /// Ask GetCredits again later; `reconcile_tries` readings so far.
    AskAgain { reconcile_tries: u32, why: String },
}

/// The reconcile rule: found → credited; absent `ABSENT_READINGS` times →
/// safe to send again; refused → an operator decides; no answer → ask
/// again, up to `tries_max` readings, then an operator decides.
pub fn reconcile_step(
    reading: ReconcileReading,
    tries_so_far: u32,
    tries_max: u32,
) -> ReconcileStep {
    let next = tries_so_far.saturating_add(1);
    match reading {
        ReconcileReading::Found => ReconcileStep::Record(Event::ReconciledFound),
        ReconcileReading::Absent if next < ABSENT_READINGS => ReconcileStep::AskAgain {
            reconcile_tries: next,
            why: "not in GetCredits yet: asking again".into(),
        },
        ReconcileReading::Absent => ReconcileStep::Record(Event::ReconciledAbsent),
        ReconcileReading::Refused(rejection) => ReconcileStep::Record(Event::Unreconcilable {
            reason: format!(
                "the outcome of an AddCredit call is unknown and GetCredits was refused: {rejection}"
            ),
        }),
        ReconcileReading::Failed(why) if next >= tries_max => {
            ReconcileStep::Record(Event::Unreconcilable {
                reason: format!(
                    "the outcome of an AddCredit call is unknown and GetCredits failed {next} times: {why}"
                ),
            })
        }
        ReconcileReading::Failed(why) => ReconcileStep::AskAgain {
            reconcile_tries: next,
            why: format!("GetCredits failed: {why}"),
        },
    }
}

impl Payments {
    /// After a restore from a backup: every AddCredit still queued (or in
    /// flight) may have been sent — and credited — after the backup was
    /// taken. Each is marked an unknown outcome, so nothing is sent again
    /// before GetCredits has shown whether the credit is there. The restore
    /// time is kept too: for a while the first AddCredit of any payment
    /// asks GetCredits first (`first_credit_asks_first`), since a transfer
    /// credited after the backup can be claimed again. Returns how many
    /// were marked.
    pub fn distrust_queued_credits(&self, now: Timestamp) -> Result<usize, DbError> {
        self.db()
            .write(|tx| tx.set_restored_at(now))?
            .durable_blocking()?;
        let queued = self
            .db()
            .due_outbox(Lane::Whmcs, Timestamp::MAX, usize::MAX)?;
        let mut marked = 0;
        for (key, entry) in queued {
            if entry.effect != Effect::AddCredit || entry.needs_reconcile {
                continue;
            }
            let distrusted = OutboxEntry {
                status: OutboxStatus::Pending,
                needs_reconcile: true,
                reconcile_tries: 0,
                due_at: now,
                last_error: Some(
                    "restored from a backup: not sent again before GetCredits shows whether \
                     the credit is in WHMCS"
                        .into(),
                ),
                ..entry.clone()
            };
            let swapped = self
                .db()
                .write(|tx| tx.swap_outbox(&key, &entry, &distrusted))?
                .durable_blocking()?;
            marked += usize::from(swapped);
        }
        Ok(marked)
    }

    /// The rule for a restored folder: within `window` of the last restore,
    /// a payment's first AddCredit (no try failed yet, none sent) is not
    /// sent before GetCredits shows its transaction is not credited
    /// already — in a lost timeline, by this or another payment.
    pub fn first_credit_asks_first(
        &self,
        record: &PaymentRecord,
        entry: &OutboxEntry,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<bool, DbError> {
        let first = entry.tries == 0
            && !entry.needs_reconcile
            && matches!(record.state, State::Crediting { attempts: 0 });
        if !first {
            return Ok(false);
        }
        let restored = self.db().restored_at()?;
        Ok(restored.is_some_and(|at| now < at.checked_add(window).unwrap_or(Timestamp::MAX)))
    }

    /// Records that an attempt starts now; returns the stored entry, or
    /// `None` (nothing written) if the entry is no longer `entry`.
    pub fn begin_attempt(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
    ) -> Result<Written<Option<OutboxEntry>>, DbError> {
        let in_flight = OutboxEntry {
            status: OutboxStatus::InFlight,
            tries: entry.tries.saturating_add(1),
            ..entry.clone()
        };
        let pending = self.db().write(|tx| {
            let swapped = tx.swap_outbox(key, entry, &in_flight)?;
            Ok(swapped.then(|| in_flight.clone()))
        })?;
        Ok(self.written(pending, Vec::new()))
    }

    /// Records an attempt's end: `event` for the payment, the entry done,
    /// and the breaker opened when `breaker` is given. `None` (nothing
    /// written) if the stored entry is no longer `entry`.
    pub fn finish_attempt(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
        event: &Event,
        breaker: Option<&Breaker>,
        now: Timestamp,
    ) -> Result<Written<Option<Result<Applied, NotApplied>>>, DbError> {
        let tries_max = self.tries_max();
        let done = OutboxEntry {
            status: OutboxStatus::Done,
            ..entry.clone()
        };
        let outcome = self.db().transact(|tx| {
            if !tx.swap_outbox(key, entry, &done)? {
                return Ok(None);
            }
            let outcome = transition_in(tx, &entry.payment_id, event, now, tries_max)?;
            if let (Some(breaker), Ok(applied)) = (breaker, &outcome) {
                tx.open_breaker(&applied.record.store_id, breaker)?;
            }
            Ok(Some(outcome))
        })?;
        let changed = match &outcome {
            Some(Ok(applied)) => {
                self.committed(applied);
                vec![(applied.record.id.clone(), applied.record.version)]
            }
            _ => Vec::new(),
        };
        Ok(self.written(self.db().durable(outcome), changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(reading: ReconcileReading, so_far: u32) -> ReconcileStep {
        reconcile_step(reading, so_far, 10)
    }

    #[test]
    fn found_is_credited_at_once() {
        assert_eq!(
            step(ReconcileReading::Found, 0),
            ReconcileStep::Record(Event::ReconciledFound)
        );
    }

    #[test]
    fn absent_must_be_read_twice_before_sending_again() {
        assert!(matches!(
            step(ReconcileReading::Absent, 0),
            ReconcileStep::AskAgain {
                reconcile_tries: 1,
                ..
            }
        ));
        assert_eq!(
            step(ReconcileReading::Absent, 1),
            ReconcileStep::Record(Event::ReconciledAbsent)
        );
    }

    #[test]
    fn failures_ask_again_until_the_bound_then_an_operator_decides() {
        assert!(matches!(
            step(ReconcileReading::Failed("timeout".into()), 8),
            ReconcileStep::AskAgain {
                reconcile_tries: 9,
                ..
            }
        ));
        assert!(matches!(
            step(ReconcileReading::Failed("timeout".into()), 9),
            ReconcileStep::Record(Event::Unreconcilable { .. })
        ));
        assert!(matches!(
            step(ReconcileReading::Refused("Invalid IP".into()), 0),
            ReconcileStep::Record(Event::Unreconcilable { .. })
        ));
    }
}
