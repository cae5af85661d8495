//! The internal lane: a released transaction claims the oldest payment
//! that waits for it.

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
                let claimed = self
                    .payments
                    .rematch(&payment.store_id, trans_id, self.clock.now())?
                    .durable()
                    .await?;
                if let Some(applied) = claimed {
                    tracing::info!(payment_id = %applied.record.id, %trans_id, to = %applied.to, "released transaction claimed a waiting payment");
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
