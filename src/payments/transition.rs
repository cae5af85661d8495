//! The change of one payment by one event: restore its machine, hand it
//! the event, and write the new state with its audit entry, its outbox
//! entries, its claim changes and its index entries in one atomic write.
//! A payment with an invoice that enters `credited` also queues the
//! invoice's settlement in that write (`invoices`).

use jiff::Timestamp;

use super::{Payments, Written};
use super::{claims, invoices};
use crate::db::{
    AuditEntry, AuditEvent, Claim, DbError, Deadline, Effect, OutboxEntry, PaymentRecord, TxResult,
    WriteTx, abort,
};
use crate::domain::PaymentId;
use crate::machine::{Event, EventKind, Handled, Intent, Machine, Refusal, StateName, Transition};

/// A transition that was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The payment after the transition.
    pub record: PaymentRecord,
    pub from: StateName,
    pub to: StateName,
    pub intents: Vec<Intent>,
    pub audit: AuditEntry,
}

/// Why an event changed nothing: business answers, not storage failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotApplied {
    #[error("no such payment")]
    UnknownPayment,
    #[error("refused in state {state}: {refusal}")]
    Refused { state: StateName, refusal: Refusal },
    /// The amount converts to no credit at the store's rate.
    #[error("the amount is too small to credit at the store's currency rate")]
    NoCredit,
    /// The caller decided on an older version of the payment.
    #[error("the payment moved on from version {expected} to {actual}")]
    VersionMoved { expected: u64, actual: u64 },
}

impl Payments {
    /// Applies one event to one payment. A refusal writes nothing.
    pub fn apply(
        &self,
        id: &PaymentId,
        event: &Event,
        now: Timestamp,
    ) -> Result<Result<Written<Applied>, NotApplied>, DbError> {
        self.apply_at_version(id, event, now, None)
    }

    /// Like `apply`, but only if the payment is still at `version` (a
    /// decision made on a page that showed that version).
    pub fn apply_at_version(
        &self,
        id: &PaymentId,
        event: &Event,
        now: Timestamp,
        version: Option<u64>,
    ) -> Result<Result<Written<Applied>, NotApplied>, DbError> {
        let tries_max = self.tries_max();
        let outcome = self.db().transact(|tx| {
            if let Some(expected) = version {
                match tx.payment(id)? {
                    None => return Ok(Err(NotApplied::UnknownPayment)),
                    Some(r) if r.version != expected => {
                        let actual = r.version;
                        return Ok(Err(NotApplied::VersionMoved { expected, actual }));
                    }
                    Some(_) => {}
                }
            }
            transition_in(tx, id, event, now, tries_max)
        })?;
        match outcome {
            Ok(applied) => Ok(Ok(self.transitioned(applied))),
            Err(not_applied) => {
                tracing::info!(payment_id = %id, event = event.kind().as_str(), %not_applied, "event refused");
                Ok(Err(not_applied))
            }
        }
    }

    /// A transition that committed: counted, logged, and handed out once
    /// durable, with its payment's waiters told.
    pub(super) fn transitioned(&self, applied: Applied) -> Written<Applied> {
        self.committed(&applied);
        let changed = vec![(applied.record.id.clone(), applied.record.version)];
        self.written(self.db().durable(applied), changed)
    }
}

/// The transition write, inside a caller's write (matching claims a
/// transaction and applies `matched` in one write).
pub(super) fn transition_in(
    tx: &WriteTx,
    id: &PaymentId,
    event: &Event,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Result<Applied, NotApplied>> {
    let Some(before) = tx.payment(id)? else {
        return Ok(Err(NotApplied::UnknownPayment));
    };
    let settings = tx.store_settings(&before.store_id)?.unwrap_or_default();
    let mut machine = match Machine::restore(&before.state) {
        Ok(machine) => machine,
        Err(e) => return abort(e),
    };
    let transition = match machine.handle(event, now, &settings.policy(tries_max)) {
        Ok(Handled::Transitioned(t)) => t,
        Ok(Handled::Refused(refusal)) => {
            let state = before.state_name();
            return Ok(Err(NotApplied::Refused { state, refusal }));
        }
        Err(e) => return abort(e),
    };
    let mut after = before.clone();
    after.version = before.version.saturating_add(1);
    after.updated_at = now;
    after.state = transition.state.clone();
    after.deadline = None;
    let by_operator = event.kind() == EventKind::Assign;
    for intent in &transition.intents {
        apply_intent(tx, &mut after, intent, now, by_operator)?;
    }
    invoices::queue_on_credited(tx, transition.from, &after, now)?;
    tx.update_payment(&before, &after)?;
    let audit = audit_entry(&after, event, &transition, now);
    tx.put_audit(&audit)?;
    Ok(Ok(Applied {
        record: after,
        from: transition.from,
        to: transition.to,
        intents: transition.intents,
        audit,
    }))
}

fn audit_entry(after: &PaymentRecord, event: &Event, t: &Transition, now: Timestamp) -> AuditEntry {
    let (hold_reasons, competing_clients) = match event {
        Event::Matched(m) => (m.hold_reasons.clone(), m.competing_clients.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    AuditEntry {
        payment_id: after.id.clone(),
        version: after.version,
        at: now,
        event: AuditEvent::Machine(event.kind()),
        actor: event.actor(),
        from: Some(t.from),
        to: t.to,
        hold_reasons,
        competing_clients,
        reason: event.reason(),
        intents: t.intents.iter().map(Intent::kind).collect(),
    }
}

/// Performs a storage intent, or queues an outbox entry for the others.
/// `by_operator`: the event is an operator's assignment.
fn apply_intent(
    tx: &WriteTx,
    after: &mut PaymentRecord,
    intent: &Intent,
    now: Timestamp,
    by_operator: bool,
) -> TxResult<()> {
    match intent {
        Intent::ClaimTransaction {
            trans_id,
            credit_amount,
        } => {
            claims::claim_transaction(tx, after, trans_id, by_operator)?;
            after.claim = Some(Claim {
                trans_id: trans_id.clone(),
                credit_amount: *credit_amount,
            });
            Ok(())
        }
        Intent::ReleaseTransaction => claims::release_transaction(tx, after, now),
        Intent::SettleTransaction => claims::settle_transaction(tx, after),
        Intent::SetDeadline { kind, at } => {
            after.deadline = Some(Deadline {
                kind: *kind,
                at: *at,
            });
            Ok(())
        }
        Intent::NotifyApprovers { reasons } => {
            let effect = Effect::NotifyApprovers {
                reasons: reasons.clone(),
            };
            queue(tx, after, effect, now, now)
        }
        Intent::SendAddCredit { not_before } => {
            queue(tx, after, Effect::AddCredit, *not_before, now)
        }
        Intent::ResetBreaker => tx.reset_breaker(&after.store_id),
    }
}

fn queue(
    tx: &WriteTx,
    after: &PaymentRecord,
    effect: Effect,
    due_at: Timestamp,
    now: Timestamp,
) -> TxResult<()> {
    let entry = OutboxEntry::new(after.id.clone(), after.version, effect, due_at, now);
    tx.queue_outbox(&entry).map(|_| ())
}
