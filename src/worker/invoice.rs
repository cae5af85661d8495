//! The WHMCS lane's invoice settlements: once a payment is credited, pay
//! its invoice from the credit with ApplyCredit, at most once.
//!
//! Each `apply_credit` entry runs under its store's single flight and
//! behind its breaker, like AddCredit. GetInvoice first: the invoice must
//! be the payment's own client's (ApplyCredit spends the owner's credit)
//! and unpaid; the amount is the credit or the balance if smaller
//! (`payments::plan_application`). The attempt is marked in flight with
//! that reading before ApplyCredit is sent. Its answer: success →
//! `applied`; `Invoice Not in Unpaid Status` → `not_unpaid`; a credential,
//! IP or permission refusal opens the breaker and the entry waits; the
//! invoice's balance fell meanwhile → read again; other refusals →
//! `failed`; nothing sent → retry with backoff; unknown (or a crash in
//! flight) → nothing is sent again until GetInvoice settles it
//! (`payments::settle_unknown`). The payment's state never changes here.

use rust_decimal::Decimal;

use super::backoff::backoff;
use super::credit::Crediter;
use crate::db::Invariant;
use crate::domain::InvoiceId;
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::payments::{
    Breaker, DbError, InvoiceAttempt, InvoiceCheck, InvoicePlan, InvoiceReading, InvoiceSettlement,
    InvoiceState, InvoiceStep, OutboxEntry, OutboxKey, OutboxStatus, PaymentRecord,
    plan_application, settle_unknown,
};
use crate::whmcs::{CallOutcome, Credentials, Invoice, Rejection, WhmcsRefusal};

/// What one settlement entry needs from the store.
struct InvoiceJob {
    key: OutboxKey,
    entry: OutboxEntry,
    record: PaymentRecord,
    settlement: InvoiceSettlement,
    /// The credit the invoice is paid from, in the store's currency.
    credited: Decimal,
    settings: StoreSettings,
}

/// Where a step leaves the entry when it does not end the settlement.
struct Later {
    due_in: std::time::Duration,
    tries: u32,
    needs_reconcile: bool,
    reconcile_tries: u32,
    why: String,
}

impl Crediter {
    /// Performs one `apply_credit` entry; the caller holds the store's lock
    /// and has read the entry as stored.
    pub(super) async fn settle_invoice(
        &self,
        key: OutboxKey,
        entry: OutboxEntry,
        invoice: InvoiceId,
    ) -> Result<(), DbError> {
        let Some(job) = self.invoice_job(key, entry, invoice).await? else {
            return Ok(());
        };
        if let Some(breaker) = self.payments.breaker(&job.record.store_id)? {
            return self.wait_for_breaker(&job.key, &job.entry, &breaker).await;
        }
        if job.entry.status == OutboxStatus::InFlight {
            let why = "the daemon stopped while ApplyCredit was in flight".to_owned();
            let stored = (&job.entry, &job.settlement);
            return self.unknown(&job, stored, why, 0).await;
        }
        if job.entry.needs_reconcile {
            return self.reconcile_invoice(&job).await;
        }
        self.read_then_apply(&job).await
    }

    /// Loads what the entry needs; closes entries with nothing left to do.
    async fn invoice_job(
        &self,
        key: OutboxKey,
        entry: OutboxEntry,
        invoice: InvoiceId,
    ) -> Result<Option<InvoiceJob>, DbError> {
        let record = self.payments.payment(&entry.payment_id)?;
        let open = record.filter(|r| {
            r.state_name() == StateName::Credited
                && r.invoice
                    .as_ref()
                    .is_some_and(|i| i.id == invoice && i.state == InvoiceState::Pending)
        });
        let Some((record, settlement)) =
            open.and_then(|r| r.invoice.clone().map(|settlement| (r, settlement)))
        else {
            return self.close_stale(&key, &entry).await.map(|()| None);
        };
        let Some(claim) = &record.claim else {
            return Err(Invariant::CreditingWithoutClaim(record.id.clone()).into());
        };
        let settings = self
            .payments
            .stores()
            .get(&record.store_id)?
            .unwrap_or_default();
        Ok(Some(InvoiceJob {
            key,
            credited: claim.credit_amount,
            entry,
            record,
            settlement,
            settings,
        }))
    }

    /// GetInvoice, then ApplyCredit when the plan says so.
    async fn read_then_apply(&self, job: &InvoiceJob) -> Result<(), DbError> {
        let stored = (&job.entry, &job.settlement);
        if job.settings.whmcs.api_url.trim().is_empty() {
            let why = "the store has no WHMCS api_url: set it with PUT /admin/stores/{id}";
            return self.fail(job, stored, why.into()).await;
        }
        if self.out_of_tries(job.entry.tries) {
            let why = format!(
                "gave up after {} tries: {}",
                job.entry.tries,
                job.settlement.message.as_deref().unwrap_or("no answer")
            );
            return self.fail(job, stored, why).await;
        }
        let creds = Credentials::from(&job.settings.whmcs);
        let invoice = job.settlement.id;
        let outcome = self.client.get_invoice(&creds, invoice).await;
        tracing::info!(payment_id = %job.record.id, %invoice, outcome = outcome.kind(), "GetInvoice before ApplyCredit");
        let reading = match outcome {
            CallOutcome::Success(read) => reading(&read),
            CallOutcome::Permanent(rejection) => {
                return self.refused(job, stored, "GetInvoice", rejection).await;
            }
            CallOutcome::Transient(why) | CallOutcome::Unknown(why) => {
                let why = format!("GetInvoice: {why}");
                let tries = job.entry.tries.saturating_add(1);
                return self.retry(job, stored, tries, why).await;
            }
        };
        let payer = job.record.client_id;
        match plan_application(invoice, &reading, payer, job.credited) {
            InvoicePlan::Settle { state, message } => {
                self.settle(job, stored, state, None, Some(message)).await
            }
            InvoicePlan::Apply(attempt) => self.apply(job, attempt).await,
        }
    }

    /// One ApplyCredit call, marked in flight (durably) before it is sent.
    async fn apply(&self, job: &InvoiceJob, attempt: InvoiceAttempt) -> Result<(), DbError> {
        let amount = attempt.amount;
        let begun = self
            .payments
            .begin_invoice_attempt(&job.key, &job.entry, &job.settlement, attempt)?
            .durable()
            .await?;
        let Some((in_flight, sent)) = begun else {
            tracing::warn!(payment_id = %job.record.id, "invoice entry changed before ApplyCredit: not sent");
            return Ok(());
        };
        let creds = Credentials::from(&job.settings.whmcs);
        let outcome = self.client.apply_credit(&creds, sent.id, amount).await;
        tracing::info!(payment_id = %job.record.id, invoice = %sent.id, %amount, outcome = outcome.kind(), "ApplyCredit");
        let stored = (&in_flight, &sent);
        match outcome {
            CallOutcome::Success(_) => {
                let applied = Some(amount);
                self.settle(job, stored, InvoiceState::Applied, applied, None)
                    .await
            }
            CallOutcome::Permanent(rejection) => {
                self.refused(job, stored, "ApplyCredit", rejection).await
            }
            CallOutcome::Transient(why) => {
                let why = format!("nothing reached WHMCS: {why}");
                self.retry(job, stored, in_flight.tries, why).await
            }
            CallOutcome::Unknown(why) => self.unknown(job, stored, why, 0).await,
        }
    }

    /// After an unknown outcome: GetInvoice, read by `settle_unknown`.
    async fn reconcile_invoice(&self, job: &InvoiceJob) -> Result<(), DbError> {
        let stored = (&job.entry, &job.settlement);
        let Some(attempt) = &job.settlement.attempt else {
            let why = "an ApplyCredit outcome is unknown but its attempt was not recorded: \
                       check the invoice in WHMCS";
            return self.fail(job, stored, why.into()).await;
        };
        let creds = Credentials::from(&job.settings.whmcs);
        let outcome = self.client.get_invoice(&creds, job.settlement.id).await;
        tracing::info!(payment_id = %job.record.id, invoice = %job.settlement.id, outcome = outcome.kind(), "GetInvoice to settle an unknown ApplyCredit");
        let check = match outcome {
            CallOutcome::Success(read) => InvoiceCheck::Read(reading(&read)),
            CallOutcome::Permanent(rejection) if rejection.trips_breaker() => {
                return self.refused(job, stored, "GetInvoice", rejection).await;
            }
            CallOutcome::Permanent(rejection) => InvoiceCheck::Refused(rejection.to_string()),
            CallOutcome::Transient(why) | CallOutcome::Unknown(why) => InvoiceCheck::Failed(why),
        };
        let tries_max = self.settings.reconcile_tries_max;
        match settle_unknown(check, attempt, job.entry.reconcile_tries, tries_max) {
            InvoiceStep::Settle {
                state,
                applied_amount,
                message,
            } => {
                self.settle(job, stored, state, applied_amount, message)
                    .await
            }
            InvoiceStep::StartOver { why } => {
                let later = Later {
                    due_in: std::time::Duration::ZERO,
                    tries: job.entry.tries,
                    needs_reconcile: false,
                    reconcile_tries: 0,
                    why,
                };
                self.later(job, stored, later, None).await
            }
            InvoiceStep::AskAgain { readings, why } => {
                self.unknown(job, stored, why, readings).await
            }
        }
    }

    /// A refusal: the breaker's refusals open it and the entry waits; an
    /// invoice no longer unpaid is nothing to do; a balance that fell is
    /// read again; the rest fail for an operator.
    async fn refused(
        &self,
        job: &InvoiceJob,
        stored: (&OutboxEntry, &InvoiceSettlement),
        action: &str,
        rejection: Rejection,
    ) -> Result<(), DbError> {
        let why = format!("WHMCS refused {action}: {rejection}");
        if let Some(breaker) = self.breaker_for(&job.record, &rejection) {
            let later = Later {
                due_in: std::time::Duration::from_millis(self.settings.breaker_recheck_ms),
                tries: stored.0.tries,
                needs_reconcile: stored.0.needs_reconcile,
                reconcile_tries: stored.0.reconcile_tries,
                why,
            };
            return self.later(job, stored, later, Some(&breaker)).await;
        }
        match rejection.refusal {
            WhmcsRefusal::InvoiceNotUnpaid => {
                let why = format!("{why}: nothing applied; the credit stays with the client");
                self.settle(job, stored, InvoiceState::NotUnpaid, None, Some(why))
                    .await
            }
            // Only ApplyCredit says so, and its in-flight mark counted the try.
            WhmcsRefusal::ExceedsInvoiceBalance => {
                let why = format!("{why}: reading the invoice again");
                self.retry(job, stored, stored.0.tries, why).await
            }
            _ => self.fail(job, stored, why).await,
        }
    }

    /// The invoice lane's one give-up rule: an application step is tried at
    /// most `whmcs.credit_tries_max` times, like AddCredit (whose count the
    /// machine keeps), then left to an operator.
    fn out_of_tries(&self, tries: u32) -> bool {
        tries >= self.settings.credit_tries_max
    }

    /// Tries again later with backoff, or gives up after `tries`.
    async fn retry(
        &self,
        job: &InvoiceJob,
        stored: (&OutboxEntry, &InvoiceSettlement),
        tries: u32,
        why: String,
    ) -> Result<(), DbError> {
        if self.out_of_tries(tries) {
            let why = format!("gave up after {tries} tries: {why}");
            return self.fail(job, stored, why).await;
        }
        let s = &self.settings;
        let later = Later {
            due_in: backoff(tries, s.retry_base_ms, s.retry_max_ms),
            tries,
            needs_reconcile: false,
            reconcile_tries: 0,
            why,
        };
        self.later(job, stored, later, None).await
    }

    /// Keeps the entry waiting for GetInvoice to settle an unknown outcome.
    async fn unknown(
        &self,
        job: &InvoiceJob,
        stored: (&OutboxEntry, &InvoiceSettlement),
        why: String,
        readings: u32,
    ) -> Result<(), DbError> {
        let s = &self.settings;
        let first = std::time::Duration::from_millis(s.reconcile_delay_ms);
        let later = Later {
            due_in: match readings {
                0 => first,
                n => backoff(
                    n,
                    s.reconcile_delay_ms,
                    s.retry_max_ms.max(s.reconcile_delay_ms),
                ),
            },
            tries: stored.0.tries,
            needs_reconcile: true,
            reconcile_tries: readings,
            why: format!("outcome unknown, not sent again before GetInvoice settles it: {why}"),
        };
        tracing::warn!(payment_id = %job.record.id, why = later.why, "ApplyCredit outcome unknown: will read the invoice");
        self.later(job, stored, later, None).await
    }

    /// Records that the settlement goes on later, in one write.
    async fn later(
        &self,
        job: &InvoiceJob,
        (entry, settlement): (&OutboxEntry, &InvoiceSettlement),
        later: Later,
        breaker: Option<&Breaker>,
    ) -> Result<(), DbError> {
        let next = OutboxEntry {
            status: OutboxStatus::Pending,
            due_at: self.clock.now() + later.due_in,
            tries: later.tries,
            needs_reconcile: later.needs_reconcile,
            reconcile_tries: later.reconcile_tries,
            last_error: Some(later.why.clone()),
            ..entry.clone()
        };
        let waiting = InvoiceSettlement {
            message: Some(later.why),
            ..settlement.clone()
        };
        self.record(job, entry, &next, &waiting, breaker).await
    }

    /// Ends the settlement in `state`, in one write with its entry.
    async fn settle(
        &self,
        job: &InvoiceJob,
        (entry, settlement): (&OutboxEntry, &InvoiceSettlement),
        state: InvoiceState,
        applied_amount: Option<Decimal>,
        message: Option<String>,
    ) -> Result<(), DbError> {
        let next = OutboxEntry {
            status: match state {
                InvoiceState::Failed => OutboxStatus::Failed,
                _ => OutboxStatus::Done,
            },
            needs_reconcile: false,
            last_error: message.clone(),
            ..entry.clone()
        };
        let ended = InvoiceSettlement {
            state,
            applied_amount,
            message,
            ..settlement.clone()
        };
        tracing::info!(payment_id = %job.record.id, invoice = %ended.id, state = ?state, message = ?ended.message, "invoice settlement ended");
        self.record(job, entry, &next, &ended, None).await
    }

    /// Ends the settlement `failed`, for an operator.
    async fn fail(
        &self,
        job: &InvoiceJob,
        stored: (&OutboxEntry, &InvoiceSettlement),
        why: String,
    ) -> Result<(), DbError> {
        self.settle(job, stored, InvoiceState::Failed, None, Some(why))
            .await
    }

    async fn record(
        &self,
        job: &InvoiceJob,
        entry: &OutboxEntry,
        next: &OutboxEntry,
        settlement: &InvoiceSettlement,
        breaker: Option<&Breaker>,
    ) -> Result<(), DbError> {
        let written = self
            .payments
            .record_invoice_step(&job.key, entry, next, settlement, breaker)?
            .durable()
            .await?;
        if !written {
            // Cannot happen while this task holds the store's lock; if it
            // does, an entry left in flight is settled by GetInvoice.
            tracing::error!(payment_id = %job.record.id, "invoice entry changed during the call: step not recorded");
        } else if let Some(breaker) = breaker {
            tracing::error!(store_id = %job.record.store_id, reason = breaker.reason, "WHMCS breaker opened by an invoice call: no more calls to this store's WHMCS until its settings change or an operator retries");
        }
        Ok(())
    }
}

/// GetInvoice's answer in the terms of the payments layer's rules.
fn reading(invoice: &Invoice) -> InvoiceReading {
    InvoiceReading {
        client: invoice.client,
        unpaid: invoice.status.is_unpaid(),
        status: invoice.status.to_string(),
        credit: invoice.credit,
        balance: invoice.balance,
    }
}
