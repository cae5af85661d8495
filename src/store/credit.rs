//! The crediting worker's writes. An AddCredit attempt is marked in flight
//! (durably) before the call; its end applies the payment's event, closes
//! the outbox entry and, for a credential or IP error, opens the store's
//! breaker — all in one transaction, so a crash leaves either the attempt
//! in flight (to be reconciled) or its whole outcome.

use jiff::Timestamp;

use super::apply::{Applied, NotApplied, apply_in};
use super::breaker::{Breaker, open_in};
use super::outbox::update_in;
use super::records::{OutboxEntry, OutboxStatus};
use super::{Store, StoreError, Written};
use crate::machine::Event;

impl Store {
    /// Records that an attempt starts now; returns the stored entry, or
    /// `None` (nothing written) if the entry is no longer `entry`.
    pub fn begin_attempt(
        &self,
        key: &[u8],
        entry: &OutboxEntry,
    ) -> Result<Written<Option<OutboxEntry>>, StoreError> {
        let in_flight = OutboxEntry {
            status: OutboxStatus::InFlight,
            tries: entry.tries.saturating_add(1),
            ..entry.clone()
        };
        let swapped = self.transact(|view| update_in(view, key, entry, &in_flight))?;
        Ok(self.written(swapped.then_some(in_flight)))
    }

    /// Records an attempt's end: `event` for the payment, the entry done,
    /// and the breaker opened when `breaker` is given. `None` (nothing
    /// written) if the stored entry is no longer `entry`.
    pub fn finish_attempt(
        &self,
        key: &[u8],
        entry: &OutboxEntry,
        event: &Event,
        breaker: Option<&Breaker>,
        now: Timestamp,
    ) -> Result<Written<Option<Result<Applied, NotApplied>>>, StoreError> {
        let tries_max = self.options().credit_tries_max;
        let done = OutboxEntry {
            status: OutboxStatus::Done,
            ..entry.clone()
        };
        let outcome = self.transact(|view| {
            if !update_in(view, key, entry, &done)? {
                return Ok(None);
            }
            let outcome = apply_in(view, &entry.payment_id, event, now, tries_max)?;
            if let Some(breaker) = breaker {
                let store = match &outcome {
                    Ok(applied) => applied.record.store_id.clone(),
                    Err(_) => return Ok(Some(outcome)),
                };
                open_in(view, &store, breaker)?;
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
        Ok(self.written_changing(outcome, changed))
    }
}
