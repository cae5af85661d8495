//! The internal lane. Earlier versions queued a `rematch` here when a
//! claim ended, handing the transaction to the next waiting payment; a
//! released transaction now waits for an operator instead (nothing that
//! lost a claim may win it by checking again), so an entry left by an
//! earlier version puts its transaction there and is done.

use crate::clock::Clock;
use crate::payments::{DbError, Effect, Lane, OutboxEntry, OutboxKey, OutboxStatus, Payments};

use super::outbox::Performer;

pub struct Rematcher {
    pub payments: Payments,
    pub clock: Clock,
}

impl Performer for Rematcher {
    fn lane(&self) -> Lane {
        Lane::Internal
    }

    async fn perform(&self, key: OutboxKey, entry: OutboxEntry) -> Result<(), DbError> {
        if let Effect::Rematch { trans_id } = &entry.effect {
            let payment = self.payments.payment(&entry.payment_id)?;
            if let Some(payment) = payment {
                let now = self.clock.now();
                let released = self
                    .payments
                    .release_to_operator(&payment.store_id, trans_id, &payment.id, now)?
                    .durable()
                    .await?;
                if released {
                    tracing::info!(payment_id = %payment.id, %trans_id, "released transaction waits for an operator");
                }
            }
        }
        let done = OutboxEntry {
            status: OutboxStatus::Done,
            tries: entry.tries.saturating_add(1),
            ..entry.clone()
        };
        self.payments
            .update_outbox(&key, &entry, &done)?
            .durable()
            .await
            .map(|_| ())
    }
}
