//! Paying a payment's WHMCS invoice from its credit, at most once.
//!
//! A check may name an invoice; it is kept with the payment as an
//! [`InvoiceSettlement`]. When a transition takes the payment into
//! `credited` (whichever edge: WHMCS confirmed, GetCredits found it, an
//! operator marked it), the same write queues an `apply_credit` outbox
//! entry in the WHMCS lane. This is a rule of this layer, not an intent of
//! the machine: the machine decides over the payment's state alone and
//! its intents are the same for every payment on an edge, while this
//! depends on the payment's data (an invoice or none); and what becomes of
//! the invoice never changes the payment's state, so it stays out of the
//! machine, its table and its diagram.
//!
//! The worker reads the invoice (GetInvoice), and [`plan_application`]
//! decides what to apply. The ApplyCredit call is marked in flight (with
//! the reading it was planned from) before it is sent; its outcome, the
//! outbox entry and the settlement are written together. After an unknown
//! outcome, [`settle_unknown`] is the one rule that reads GetInvoice's
//! answer: did the invoice's applied credit grow by what was sent?

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::{Payments, Written};
use crate::db::{
    AuditEntry, Breaker, DbError, Effect, InvoiceAttempt, InvoiceSettlement, InvoiceState,
    OutboxEntry, OutboxKey, OutboxStatus, PaymentRecord, TxResult, WriteTx,
};
use crate::domain::{ClientId, InvoiceId};
use crate::machine::StateName;

/// Readings of GetInvoice, `reconcile_delay_ms` or more apart, that must
/// all show nothing applied before ApplyCredit is sent again: WHMCS may
/// still be running the first call (PHP goes on after our timeout).
pub const UNCHANGED_READINGS: u32 = 2;

/// What GetInvoice says about the invoice, in the terms the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceReading {
    /// The invoice's owner: ApplyCredit spends this client's credit.
    pub client: ClientId,
    /// Whether it is `Unpaid` (only unpaid invoices take credit).
    pub unpaid: bool,
    /// Its status as WHMCS names it, for messages.
    pub status: String,
    /// Credit already applied to it.
    pub credit: Decimal,
    /// What it still owes.
    pub balance: Decimal,
}

/// What to do with an invoice read before any ApplyCredit was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoicePlan {
    /// Send ApplyCredit for `amount`, recorded with the reading.
    Apply(InvoiceAttempt),
    /// Nothing to send: the settlement ends here.
    Settle {
        state: InvoiceState,
        message: String,
    },
}

/// The credited amount, or the balance if smaller, for an unpaid invoice
/// of the payment's own client; nothing otherwise.
pub fn plan_application(
    invoice: InvoiceId,
    reading: &InvoiceReading,
    payer: ClientId,
    credited: Decimal,
) -> InvoicePlan {
    if reading.client != payer {
        return InvoicePlan::Settle {
            state: InvoiceState::Failed,
            message: format!(
                "invoice {invoice} belongs to client {}, not to the payment's client {payer}: \
                 ApplyCredit would spend the other client's credit; nothing applied",
                reading.client
            ),
        };
    }
    if !reading.unpaid || reading.balance <= Decimal::ZERO {
        return InvoicePlan::Settle {
            state: InvoiceState::NotUnpaid,
            message: format!(
                "invoice {invoice} is {} with a balance of {}: nothing applied; the credit stays with the client",
                reading.status, reading.balance
            ),
        };
    }
    InvoicePlan::Apply(InvoiceAttempt {
        amount: credited.min(reading.balance),
        credit_before: reading.credit,
        balance_before: reading.balance,
    })
}

/// What one GetInvoice call said after an ApplyCredit whose outcome is
/// unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceCheck {
    Read(InvoiceReading),
    /// WHMCS refused GetInvoice (the invoice is gone, or another refusal).
    Refused(String),
    /// No answer that says either way.
    Failed(String),
}

/// What follows a reading after an unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceStep {
    /// The settlement ends here.
    Settle {
        state: InvoiceState,
        applied_amount: Option<Decimal>,
        message: Option<String>,
    },
    /// The application is proven absent: start over (read, then apply).
    StartOver { why: String },
    /// Read again later; `readings` so far.
    AskAgain { readings: u32, why: String },
}

/// The rule after an unknown outcome, from the invoice's applied credit
/// against `credit_before`: grown by the amount sent (or more) → applied;
/// unchanged `UNCHANGED_READINGS` times on an unpaid invoice → start over;
/// unchanged on an invoice no longer unpaid → nothing to do; any other
/// change → an operator decides, and nothing is sent again. A refusal, or
/// no answer `tries_max` times, also goes to an operator.
pub fn settle_unknown(
    check: InvoiceCheck,
    attempt: &InvoiceAttempt,
    readings_so_far: u32,
    tries_max: u32,
) -> InvoiceStep {
    let next = readings_so_far.saturating_add(1);
    let reading = match check {
        InvoiceCheck::Read(reading) => reading,
        InvoiceCheck::Refused(why) => {
            return failed(format!(
                "the outcome of ApplyCredit for {} is unknown and GetInvoice was refused: {why}; check the invoice in WHMCS",
                attempt.amount
            ));
        }
        InvoiceCheck::Failed(why) if next >= tries_max => {
            return failed(format!(
                "the outcome of ApplyCredit for {} is unknown and GetInvoice failed {next} times: {why}; check the invoice in WHMCS",
                attempt.amount
            ));
        }
        InvoiceCheck::Failed(why) => {
            return InvoiceStep::AskAgain {
                readings: next,
                why: format!("GetInvoice failed: {why}"),
            };
        }
    };
    let grown = reading.credit - attempt.credit_before;
    if grown >= attempt.amount {
        let message = (grown > attempt.amount).then(|| {
            format!(
                "the invoice's credit grew by {grown}, more than the {} sent: check it in WHMCS",
                attempt.amount
            )
        });
        return InvoiceStep::Settle {
            state: InvoiceState::Applied,
            applied_amount: Some(attempt.amount),
            message,
        };
    }
    if grown != Decimal::ZERO {
        return failed(format!(
            "after an ApplyCredit of {} with an unknown outcome the invoice's credit went from {} to {} \
             and its balance from {} to {}: check the invoice in WHMCS; nothing is sent again",
            attempt.amount,
            attempt.credit_before,
            reading.credit,
            attempt.balance_before,
            reading.balance
        ));
    }
    if !reading.unpaid {
        return InvoiceStep::Settle {
            state: InvoiceState::NotUnpaid,
            applied_amount: None,
            message: Some(format!(
                "the invoice became {} without this credit: nothing applied; the credit stays with the client",
                reading.status
            )),
        };
    }
    if next < UNCHANGED_READINGS {
        return InvoiceStep::AskAgain {
            readings: next,
            why: "not on the invoice yet: reading again".into(),
        };
    }
    InvoiceStep::StartOver {
        why: format!("GetInvoice showed {next} times that nothing was applied"),
    }
}

fn failed(message: String) -> InvoiceStep {
    InvoiceStep::Settle {
        state: InvoiceState::Failed,
        applied_amount: None,
        message: Some(message),
    }
}

/// Queues the invoice's settlement when a transition has just taken the
/// payment into `credited` and it has an invoice; inside that write.
pub(super) fn queue_on_credited(
    tx: &WriteTx,
    from: StateName,
    after: &PaymentRecord,
    now: Timestamp,
) -> TxResult<()> {
    let Some(settlement) = &after.invoice else {
        return Ok(());
    };
    if from == StateName::Credited || after.state_name() != StateName::Credited {
        return Ok(());
    }
    let effect = Effect::ApplyCredit {
        invoice: settlement.id,
    };
    let entry = OutboxEntry::new(after.id.clone(), after.version, effect, now, now);
    tx.queue_outbox(&entry).map(|_| ())
}

/// Whether the transition that `audit` records queued a settlement (for
/// `verify`: the same rule as [`queue_on_credited`]).
pub(super) fn queued_by(audit: &AuditEntry, record: &PaymentRecord) -> bool {
    record.invoice.is_some()
        && audit.to == StateName::Credited
        && audit.from.is_some_and(|from| from != StateName::Credited)
}

impl Payments {
    /// Marks an ApplyCredit attempt in flight, with the reading it was
    /// planned from, before it is sent; returns the entry and settlement
    /// as stored. `None` (nothing written) if the entry or the payment's
    /// invoice moved on.
    pub fn begin_invoice_attempt(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
        settlement: &InvoiceSettlement,
        attempt: InvoiceAttempt,
    ) -> Result<Written<Option<(OutboxEntry, InvoiceSettlement)>>, DbError> {
        let in_flight = OutboxEntry {
            status: OutboxStatus::InFlight,
            tries: entry.tries.saturating_add(1),
            needs_reconcile: false,
            reconcile_tries: 0,
            ..entry.clone()
        };
        let sent = InvoiceSettlement {
            tries: settlement.tries.saturating_add(1),
            attempt: Some(attempt),
            ..settlement.clone()
        };
        let version = self.invoice_step_in(key, entry, &in_flight, &sent, None)?;
        let stored = version.is_some().then_some((in_flight, sent));
        Ok(self.written(self.db().durable(stored), changed(entry, version)))
    }

    /// Records one step of a settlement in one write: the outbox entry
    /// becomes `next`, the payment's settlement `settlement`, and the
    /// store's breaker opens when `breaker` is given. False (nothing
    /// written) if the entry is no longer `entry`, or the payment has no
    /// pending settlement of this invoice any more.
    pub fn record_invoice_step(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
        next: &OutboxEntry,
        settlement: &InvoiceSettlement,
        breaker: Option<&Breaker>,
    ) -> Result<Written<bool>, DbError> {
        let version = self.invoice_step_in(key, entry, next, settlement, breaker)?;
        let stored = version.is_some();
        Ok(self.written(self.db().durable(stored), changed(entry, version)))
    }

    /// The write of one step; the payment's version when it was made.
    fn invoice_step_in(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
        next: &OutboxEntry,
        settlement: &InvoiceSettlement,
        breaker: Option<&Breaker>,
    ) -> Result<Option<u64>, DbError> {
        self.db().transact(|tx| {
            let Some(before) = tx.payment(&entry.payment_id)? else {
                return Ok(None);
            };
            // Only a credited payment's pending settlement is ever written.
            let open = before.state_name() == StateName::Credited
                && before
                    .invoice
                    .as_ref()
                    .is_some_and(|i| i.id == settlement.id && i.state == InvoiceState::Pending);
            if !open || !tx.swap_outbox(key, entry, next)? {
                return Ok(None);
            }
            let after = PaymentRecord {
                invoice: Some(settlement.clone()),
                ..before.clone()
            };
            tx.update_payment(&before, &after)?;
            if let Some(breaker) = breaker {
                tx.open_breaker(&after.store_id, breaker)?;
            }
            Ok(Some(after.version))
        })
    }
}

/// The payment to announce once a step is durable (waiters see the
/// settlement change; the version does not move).
fn changed(entry: &OutboxEntry, version: Option<u64>) -> Vec<(crate::domain::PaymentId, u64)> {
    version
        .map(|v| vec![(entry.payment_id.clone(), v)])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
