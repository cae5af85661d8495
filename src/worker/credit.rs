//! The WHMCS lane: credits each claimed transaction exactly once.
//!
//! Before a call the attempt is marked in flight and flushed. Its answer
//! decides: success → `credited`; a refusal → `credit_failed` (and, for a
//! credential, IP or permission error, the store's breaker opens: no more
//! calls to that WHMCS until its settings change or an operator retries);
//! nothing sent → retry later; unknown → nothing is sent again until
//! GetCredits shows whether the credit is there. An attempt found in
//! flight after a restart is an unknown outcome. Calls to one store run
//! one at a time, so concurrent payments cannot each make a failing call.
//! The lane's other effect, paying a credited payment's invoice, is in
//! `invoice` (same lock, same breaker).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::SignedDuration;

use super::backoff::backoff;
use crate::clock::Clock;
use crate::config::WhmcsClientSettings;
use crate::db::Invariant;
use crate::domain::StoreId;
use crate::machine::{Event, State, StateName};
use crate::merchant::StoreSettings;
use crate::metrics::OutcomeLabels;
use crate::payments::{
    Breaker, Claim, DbError, Effect, OutboxEntry, OutboxKey, OutboxStatus, PaymentRecord, Payments,
    ReconcileReading, ReconcileStep, reconcile_step,
};
use crate::whmcs::{
    CallOutcome, Credentials, Rejection, WhmcsClient, WhmcsRefusal, has_credit_for,
};

/// Performs `add_credit` entries.
pub struct Crediter {
    pub payments: Payments,
    pub clock: Clock,
    pub client: WhmcsClient,
    pub settings: WhmcsClientSettings,
    /// One call at a time per store (single flight).
    store_locks: Mutex<HashMap<StoreId, Arc<tokio::sync::Mutex<()>>>>,
    /// Entries being performed now, so a scan does not start them twice.
    in_progress: Mutex<HashSet<OutboxKey>>,
}

/// What one entry needs from the store to be performed.
struct Job {
    key: OutboxKey,
    entry: OutboxEntry,
    record: PaymentRecord,
    claim: Claim,
    settings: StoreSettings,
}

impl Crediter {
    pub fn new(
        payments: Payments,
        clock: Clock,
        client: WhmcsClient,
        settings: WhmcsClientSettings,
    ) -> Crediter {
        Crediter {
            payments,
            clock,
            client,
            settings,
            store_locks: Mutex::new(HashMap::new()),
            in_progress: Mutex::new(HashSet::new()),
        }
    }

    pub(super) fn store_lock(&self, store: &StoreId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.store_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(store.clone()).or_default().clone()
    }

    /// Claims `key` for this process; false if it is already being performed.
    pub(super) fn start(&self, key: &OutboxKey) -> bool {
        self.in_progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone())
    }

    pub(super) fn end(&self, key: &OutboxKey) {
        self.in_progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Performs one entry, holding its store's lock for the WHMCS call.
    /// The entry is read again under the lock: a scan's copy may be stale,
    /// and every write below is a compare-and-swap against what was read.
    pub async fn perform(&self, key: OutboxKey, scanned: OutboxEntry) -> Result<(), DbError> {
        let Some(payment) = self.payments.payment(&scanned.payment_id)? else {
            return self.close_stale(&key, &scanned).await;
        };
        let lock = self.store_lock(&payment.store_id);
        // Single flight per store, without waiting: a task waiting for a
        // slow store would hold a slot other stores need. The entry stays
        // due and is picked up again when the store's call has ended.
        let Ok(_single_flight) = lock.try_lock() else {
            return Ok(());
        };
        let Some(entry) = self.payments.outbox_entry(&key)? else {
            return Ok(());
        };
        let due = entry.due_at <= self.clock.now();
        if !due || matches!(entry.status, OutboxStatus::Done | OutboxStatus::Failed) {
            return Ok(());
        }
        // The lane's other effect: an invoice paid from a credit (`invoice`).
        if let Effect::ApplyCredit { invoice } = entry.effect {
            return self.settle_invoice(key, entry, invoice).await;
        }
        let Some(job) = self.job(key, entry).await? else {
            return Ok(());
        };
        // Re-read after waiting: another task may have tripped the breaker.
        if let Some(breaker) = self.payments.breaker(&job.record.store_id)? {
            return self.wait_for_breaker(&job.key, &job.entry, &breaker).await;
        }
        if job.entry.status == OutboxStatus::InFlight {
            // A call was in flight when the daemon stopped: its outcome is unknown.
            let why = "the daemon stopped while the call was in flight".to_owned();
            return self.defer_reconcile(&job, &job.entry, why, 0).await;
        }
        if job.entry.needs_reconcile || self.restored_folder_asks_first(&job)? {
            return self.reconcile(&job).await;
        }
        self.attempt(&job).await
    }

    /// Whether this is a payment's first AddCredit soon after a restore
    /// from a backup: then GetCredits goes first (`reconcile`), and the
    /// credit is sent only if its transaction is not in WHMCS yet.
    fn restored_folder_asks_first(&self, job: &Job) -> Result<bool, DbError> {
        let window = self.settings.restored_first_credit_check_ms;
        let window = SignedDuration::from_millis(i64::try_from(window).unwrap_or(i64::MAX));
        self.payments
            .first_credit_asks_first(&job.record, &job.entry, window, self.clock.now())
    }

    /// Closes an entry whose payment moved on or is gone.
    pub(super) async fn close_stale(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
    ) -> Result<(), DbError> {
        let done = OutboxEntry {
            status: OutboxStatus::Done,
            ..entry.clone()
        };
        self.payments
            .update_outbox(key, entry, &done)?
            .durable()
            .await
            .map(|_| ())
    }

    /// Loads what the entry needs; closes entries whose payment moved on.
    async fn job(&self, key: OutboxKey, entry: OutboxEntry) -> Result<Option<Job>, DbError> {
        let record = self.payments.payment(&entry.payment_id)?;
        let current =
            record.filter(|r| r.state_name() == StateName::Crediting && r.version == entry.version);
        let Some(record) = current else {
            let done = OutboxEntry {
                status: OutboxStatus::Done,
                ..entry.clone()
            };
            self.payments
                .update_outbox(&key, &entry, &done)?
                .durable()
                .await?;
            return Ok(None);
        };
        let settings = self
            .payments
            .stores()
            .get(&record.store_id)?
            .unwrap_or_default();
        let Some(claim) = record.claim.clone() else {
            return Err(Invariant::CreditingWithoutClaim(record.id.clone()).into());
        };
        Ok(Some(Job {
            key,
            entry,
            record,
            claim,
            settings,
        }))
    }
}

impl Crediter {
    /// One AddCredit call, marked in flight (durably) before it is made.
    async fn attempt(&self, job: &Job) -> Result<(), DbError> {
        let Job {
            key,
            record,
            claim,
            settings,
            ..
        } = job;
        if settings.whmcs.api_url.trim().is_empty() {
            let reason =
                "the store has no WHMCS api_url: set it with PUT /admin/stores/{id}".to_owned();
            return self
                .finish(
                    job,
                    &job.entry,
                    Event::CreditPermanentFailure { reason },
                    None,
                )
                .await;
        }
        let Some(in_flight) = self
            .payments
            .begin_attempt(key, &job.entry)?
            .durable()
            .await?
        else {
            tracing::warn!(payment_id = %record.id, "outbox entry changed before the call: not sent");
            return Ok(());
        };
        let creds = Credentials::from(&settings.whmcs);
        let started = std::time::Instant::now();
        let outcome = self
            .client
            .add_credit(
                &creds,
                record.client_id,
                claim.credit_amount,
                &claim.trans_id,
            )
            .await;
        let metrics = self.payments.metrics();
        metrics
            .add_credit_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics
            .add_credit
            .get_or_create(&OutcomeLabels {
                outcome: outcome.kind(),
            })
            .inc();
        tracing::info!(payment_id = %record.id, trans_id = %claim.trans_id, outcome = outcome.kind(), "AddCredit");
        match outcome {
            CallOutcome::Success(_) => {
                self.finish(job, &in_flight, Event::CreditSucceeded, None)
                    .await
            }
            CallOutcome::Permanent(rejection) => {
                let breaker = self.breaker_for(record, &rejection);
                let reason = format!("WHMCS refused AddCredit: {rejection}");
                self.finish(
                    job,
                    &in_flight,
                    Event::CreditPermanentFailure { reason },
                    breaker,
                )
                .await
            }
            CallOutcome::Transient(why) => {
                let attempts = match record.state {
                    State::Crediting { attempts } => attempts,
                    _ => 0,
                };
                let delay = backoff(
                    attempts,
                    self.settings.retry_base_ms,
                    self.settings.retry_max_ms,
                );
                let retry_at = self.clock.now() + delay;
                let event = Event::CreditTransientFailure {
                    reason: format!("nothing reached WHMCS: {why}"),
                    retry_at,
                };
                self.finish(job, &in_flight, event, None).await
            }
            CallOutcome::Unknown(why) => self.defer_reconcile(job, &in_flight, why, 0).await,
        }
    }

    /// After an unknown outcome: GetCredits decides whether the credit is
    /// there (the rule is `payments::reconcile_step`); until it can, nothing
    /// is sent again.
    async fn reconcile(&self, job: &Job) -> Result<(), DbError> {
        let Job {
            record,
            claim,
            settings,
            entry,
            ..
        } = job;
        let creds = Credentials::from(&settings.whmcs);
        let outcome = self.client.get_credits(&creds, record.client_id).await;
        tracing::info!(payment_id = %record.id, trans_id = %claim.trans_id, outcome = outcome.kind(), "GetCredits to reconcile");
        let mut breaker = None;
        let reading = match outcome {
            CallOutcome::Success(lines) if has_credit_for(&lines, &claim.trans_id) => {
                ReconcileReading::Found
            }
            CallOutcome::Success(_) => ReconcileReading::Absent,
            CallOutcome::Permanent(rejection) => {
                breaker = self.breaker_for(record, &rejection);
                ReconcileReading::Refused(rejection.to_string())
            }
            CallOutcome::Transient(why) | CallOutcome::Unknown(why) => {
                ReconcileReading::Failed(why)
            }
        };
        let tries_max = self.settings.reconcile_tries_max;
        match reconcile_step(reading, entry.reconcile_tries, tries_max) {
            ReconcileStep::Record(event) => self.finish(job, entry, event, breaker).await,
            ReconcileStep::AskAgain {
                reconcile_tries,
                why,
            } => self.defer_reconcile(job, entry, why, reconcile_tries).await,
        }
    }

    /// Records the attempt's end with the payment's event, in one write.
    async fn finish(
        &self,
        job: &Job,
        stored: &OutboxEntry,
        event: Event,
        breaker: Option<Breaker>,
    ) -> Result<(), DbError> {
        let now = self.clock.now();
        let outcome = self
            .payments
            .finish_attempt(&job.key, stored, &event, breaker.as_ref(), now)?
            .durable()
            .await?;
        match outcome {
            Some(Ok(applied)) => {
                tracing::info!(payment_id = %applied.record.id, from = %applied.from, to = %applied.to, event = event.kind().as_str(), "credit outcome recorded")
            }
            Some(Err(not_applied)) => {
                tracing::warn!(payment_id = %job.record.id, %not_applied, "credit outcome refused by the payment")
            }
            None => {
                // Cannot happen while this task holds the store's lock; if it
                // does, the entry stays in flight and is reconciled.
                tracing::error!(payment_id = %job.record.id, "outbox entry changed during the call: outcome not recorded");
                return Ok(());
            }
        }
        if let Some(breaker) = breaker {
            tracing::error!(store_id = %job.record.store_id, reason = breaker.reason, seen_ip = ?breaker.seen_ip, "WHMCS breaker opened: no more calls to this store's WHMCS until its settings change or an operator retries");
        }
        Ok(())
    }

    /// Keeps the entry waiting for a reconciliation later.
    async fn defer_reconcile(
        &self,
        job: &Job,
        stored: &OutboxEntry,
        why: String,
        tries: u32,
    ) -> Result<(), DbError> {
        let delay = if tries == 0 {
            Duration::from_millis(self.settings.reconcile_delay_ms)
        } else {
            backoff(
                tries,
                self.settings.reconcile_delay_ms,
                self.settings
                    .retry_max_ms
                    .max(self.settings.reconcile_delay_ms),
            )
        };
        let next = OutboxEntry {
            status: OutboxStatus::Pending,
            needs_reconcile: true,
            reconcile_tries: tries,
            due_at: self.clock.now() + delay,
            last_error: Some(format!(
                "outcome unknown, not sent again before GetCredits settles it: {why}"
            )),
            ..stored.clone()
        };
        tracing::warn!(payment_id = %job.record.id, ?delay, why, "AddCredit outcome unknown: will reconcile");
        self.payments
            .update_outbox(&job.key, stored, &next)?
            .durable()
            .await
            .map(|_| ())
    }

    /// The entry waits, visibly, while its store's breaker is open.
    pub(super) async fn wait_for_breaker(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
        breaker: &Breaker,
    ) -> Result<(), DbError> {
        let next = OutboxEntry {
            due_at: self.clock.now()
                + SignedDuration::from_millis(
                    i64::try_from(self.settings.breaker_recheck_ms).unwrap_or(i64::MAX),
                ),
            last_error: Some(breaker.describe()),
            ..entry.clone()
        };
        self.payments
            .update_outbox(key, entry, &next)?
            .durable()
            .await
            .map(|_| ())
    }

    /// A breaker for refusals that would get the platform's IP banned.
    pub(super) fn breaker_for(
        &self,
        record: &PaymentRecord,
        rejection: &Rejection,
    ) -> Option<Breaker> {
        rejection.trips_breaker().then(|| Breaker {
            opened_at: self.clock.now(),
            reason: rejection.message.clone(),
            seen_ip: match &rejection.refusal {
                WhmcsRefusal::InvalidIp { seen_ip } => seen_ip.clone(),
                _ => None,
            },
            payment_id: record.id.clone(),
        })
    }
}
