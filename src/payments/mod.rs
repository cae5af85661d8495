//! The payment use cases, above the persistence layer (`crate::db`):
//! a check ([`check`](Payments::check)), an incoming transaction
//! ([`ingest`](Payments::ingest)), a claim by reference number
//! ([`check_reference`](Payments::check_reference)), decisions of
//! approvers and operators, an operator's assignment of a transaction that
//! waits for one, closing windows whose deadline passed, recording what a
//! WHMCS call did, paying a credited payment's invoice (`invoices`), and
//! removing what retention no longer keeps. HTTP handlers, workers and
//! the CLI call these; none of them touches the database directly.
//!
//! Each use case runs its whole change — the machine's transition, the
//! claim of a transaction, the audit entry, the outbox entries — as one
//! atomic write ([`crate::db::Db::write`]) and answers with a [`Written`]
//! value that is handed out only once durable; waiters on the payment
//! (long polls, check replies) and the outbox workers hear of the change
//! then.

mod antispam;
mod assign;
mod backup;
mod changes;
mod check;
mod claims;
mod crediting;
mod decisions;
mod ingest;
mod invoices;
mod matching;
mod outbox;
mod overview;
mod queries;
mod reference;
mod retention;
mod search;
mod timers;
mod transition;
mod verify;

use std::path::Path;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

pub use assign::{AssignRefused, AssignRequest};
pub use changes::Changes;
pub use check::{CheckOutcome, NewPayment};
pub use crediting::{ABSENT_READINGS, ReconcileReading, ReconcileStep, reconcile_step};
pub use decisions::OperatorAction;
pub use ingest::IngestOutcome;
pub use invoices::{
    InvoiceCheck, InvoicePlan, InvoiceReading, InvoiceStep, plan_application, settle_unknown,
};
pub use overview::{LastWhmcsError, StoreOverview};
pub use queries::competing_in;
pub use retention::{Retention, Swept, VelocitySwept};
pub use search::{SEARCH_RESULTS_MAX, SearchTerm};
pub use transition::{Applied, NotApplied};
pub use verify::VERIFY_PAYMENTS_MAX;

pub use crate::db::{
    ApproverSend, AuditEntry, AuditEvent, Breaker, Claim, CounterCursor, Cursor, CursorError, Db,
    DbError, DbOptions, Deadline, DueTimer, Effect, InvoiceAttempt, InvoiceSettlement,
    InvoiceState, Lane, OutboxEntry, OutboxKey, OutboxStatus, Page, PageResult, PaymentRecord,
    PaymentSummary, QuarantineEntry, QuarantineReason, Released, SendOutcome, StoreKeyRecord,
    TransactionRecord,
};

use crate::antispam::ClaimRules;
use crate::db::Durable;
use crate::domain::PaymentId;
use crate::metrics::Metrics;
use crate::stores::Stores;

/// Settings of the payment use cases.
#[derive(Debug, Clone)]
pub struct PaymentsOptions {
    /// How many failed AddCredit tries end a payment in `credit_failed`.
    pub credit_tries_max: u32,
    /// The claim rules every store has (`checked_before_transfer`'s grace).
    pub claims: ClaimRules,
    /// How far in the future a transfer's own time may be (clocks differ)
    /// before it is quarantined as a misread date.
    pub transfer_time_skew_max: SignedDuration,
    pub db: DbOptions,
}

impl Default for PaymentsOptions {
    fn default() -> Self {
        PaymentsOptions {
            credit_tries_max: 8,
            claims: ClaimRules::default(),
            transfer_time_skew_max: SignedDuration::from_mins(10),
            db: DbOptions::default(),
        }
    }
}

/// The payment use cases over one open data folder. Cheap to clone.
#[derive(Clone)]
pub struct Payments {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    stores: Stores,
    metrics: Arc<Metrics>,
    /// Long polls and check replies waiting for a payment to change.
    changes: Changes,
    /// Bumped after every durable payment change, so outbox workers look
    /// for new work at once instead of at their next poll.
    activity: watch::Sender<u64>,
    options: PaymentsOptions,
}

/// A change that is made but not yet durable: it yields its value only
/// after the group commit has flushed it, and then tells the payment's
/// waiters and the workers.
#[must_use = "a write is not durable until `durable()` returns"]
pub struct Written<T> {
    pending: Durable<T>,
    /// Payments (and their new versions) to announce once durable.
    changed: Vec<(PaymentId, u64)>,
    payments: Payments,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Written<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Written")
            .field(self.pending.value())
            .finish()
    }
}

impl<T> Written<T> {
    pub async fn durable(self) -> Result<T, DbError> {
        let value = self.pending.durable().await?;
        self.payments.announce(&self.changed);
        Ok(value)
    }

    pub fn durable_blocking(self) -> Result<T, DbError> {
        let value = self.pending.durable_blocking()?;
        self.payments.announce(&self.changed);
        Ok(value)
    }

    /// The value without waiting for durability: for bulk loads that
    /// flush once at the end (`Payments::close`), never for replies.
    pub fn into_value_unflushed(self) -> T {
        self.pending.into_value_unflushed()
    }
}

impl Payments {
    /// The use cases over an open database and its stores.
    pub fn new(
        db: Db,
        stores: Stores,
        metrics: Arc<Metrics>,
        options: PaymentsOptions,
    ) -> Payments {
        for state in crate::machine::StateName::ALL {
            let count = db.state_count(state).unwrap_or(0);
            metrics.set_payments(state, i64::try_from(count).unwrap_or(i64::MAX));
        }
        Payments {
            inner: Arc::new(Inner {
                db,
                stores,
                metrics,
                changes: Changes::default(),
                activity: watch::Sender::new(0),
                options,
            }),
        }
    }

    /// Opens the data folder (retrying briefly while this process releases
    /// an earlier lock), with fresh metrics and a store registry.
    pub fn open(dir: &Path, options: PaymentsOptions) -> Result<Payments, DbError> {
        let metrics = Arc::new(Metrics::new());
        let db = Db::open_with_retry(dir, &options.db, metrics.clone())?;
        let stores = Stores::new(db.clone());
        Ok(Payments::new(db, stores, metrics, options))
    }

    /// Flushes and releases the data folder.
    pub fn close(self) -> Result<(), DbError> {
        self.inner.db.clone().close()
    }

    pub fn stores(&self) -> &Stores {
        &self.inner.stores
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    pub fn options(&self) -> &PaymentsOptions {
        &self.inner.options
    }

    /// Where waiters subscribe to a payment's changes.
    pub fn changes(&self) -> &Changes {
        &self.inner.changes
    }

    /// Changes whenever a payment changed durably (see `activity`).
    pub fn activity(&self) -> watch::Receiver<u64> {
        self.inner.activity.subscribe()
    }

    /// Makes everything written so far durable.
    pub async fn sync(&self) -> Result<(), DbError> {
        self.inner.db.sync().await
    }

    /// Whether the database answers reads (for `/healthz`).
    pub fn is_readable(&self) -> bool {
        self.inner.db.is_readable()
    }

    pub fn size_on_disk(&self) -> Result<u64, DbError> {
        self.inner.db.size_on_disk()
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    fn tries_max(&self) -> u32 {
        self.inner.options.credit_tries_max
    }

    /// What a claiming write needs to know at `now`.
    fn claiming(&self, now: Timestamp) -> matching::Claiming {
        matching::Claiming {
            now,
            tries_max: self.tries_max(),
            rules: self.inner.options.claims,
        }
    }

    /// Wraps a durable-to-be value that changed the given payments.
    fn written<T>(&self, pending: Durable<T>, changed: Vec<(PaymentId, u64)>) -> Written<T> {
        Written {
            pending,
            changed,
            payments: self.clone(),
        }
    }

    fn announce(&self, changed: &[(PaymentId, u64)]) {
        for (id, version) in changed {
            self.inner.changes.publish(id, *version);
        }
        if !changed.is_empty() {
            self.inner.activity.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// A transition committed: count it and log it (one line each).
    fn committed(&self, applied: &Applied) {
        self.inner.metrics.transition(applied.from, applied.to);
        let actor = match &applied.audit.actor {
            crate::machine::Actor::System => "system".to_owned(),
            crate::machine::Actor::Approver { email, .. } => format!("approver {email}"),
            crate::machine::Actor::Operator { by, .. } => format!("operator {by}"),
        };
        tracing::info!(
            payment_id = %applied.record.id,
            from = %applied.from,
            to = %applied.to,
            event = applied.audit.event.as_str(),
            actor,
            "transition"
        );
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_claims;
#[cfg(test)]
mod tests_retention;
