//! Wakes long polls and waiting check replies when a payment changes. A
//! waiter subscribes to one payment; every write that changes a payment
//! publishes its new version once it is durable. Entries exist only while
//! someone waits (forgotten senders are swept as the map grows), so memory
//! is bounded by the open connections.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use crate::domain::PaymentId;

/// Entries kept before the first sweep of forgotten senders.
const SWEEP_FLOOR: usize = 1024;

#[derive(Debug, Default)]
pub struct Changes {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    waiters: HashMap<PaymentId, watch::Sender<u64>>,
    /// Sweep when the map grows past this (amortised O(1) per subscribe).
    sweep_at: usize,
}

impl Changes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A receiver that sees every later version of the payment.
    pub fn subscribe(&self, id: &PaymentId) -> watch::Receiver<u64> {
        let mut inner = self.lock();
        if inner.waiters.len() >= inner.sweep_at.max(SWEEP_FLOOR) {
            inner.waiters.retain(|_, tx| tx.receiver_count() > 0);
            inner.sweep_at = inner.waiters.len() * 2;
        }
        if let Some(tx) = inner.waiters.get(id) {
            return tx.subscribe();
        }
        let (tx, rx) = watch::channel(0);
        inner.waiters.insert(id.clone(), tx);
        rx
    }

    /// Tells the payment's waiters, if any, about its new version.
    pub fn publish(&self, id: &PaymentId, version: u64) {
        let mut inner = self.lock();
        let unwatched = match inner.waiters.get(id) {
            Some(tx) => {
                tx.send_replace(version);
                tx.receiver_count() == 0
            }
            None => false,
        };
        if unwatched {
            inner.waiters.remove(id);
        }
    }

    /// How many payments have waiters (for tests and metrics).
    pub fn watched(&self) -> usize {
        self.lock()
            .waiters
            .values()
            .filter(|tx| tx.receiver_count() > 0)
            .count()
    }
}
