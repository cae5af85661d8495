//! Wakes long polls and waiting check replies when a payment changes. A
//! waiter subscribes to one payment; every write that changes a payment
//! publishes its new version once it is durable. Entries exist only while
//! someone waits, so memory is bounded by the open connections.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use crate::domain::PaymentId;

#[derive(Debug, Default)]
pub struct Changes {
    waiters: Mutex<HashMap<PaymentId, watch::Sender<u64>>>,
}

impl Changes {
    /// A receiver that sees every later version of the payment.
    pub fn subscribe(&self, id: &PaymentId) -> watch::Receiver<u64> {
        let mut waiters = match self.waiters.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        waiters.retain(|_, tx| tx.receiver_count() > 0);
        match waiters.get(id) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(0);
                waiters.insert(id.clone(), tx);
                rx
            }
        }
    }

    /// Tells the payment's waiters, if any, about its new version.
    pub fn publish(&self, id: &PaymentId, version: u64) {
        let waiters = match self.waiters.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(tx) = waiters.get(id) {
            tx.send_replace(version);
        }
    }

    /// How many payments have waiters (for tests and metrics).
    pub fn watched(&self) -> usize {
        match self.waiters.lock() {
            Ok(w) => w.values().filter(|tx| tx.receiver_count() > 0).count(),
            Err(_) => 0,
        }
    }
}
