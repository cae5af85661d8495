//! The one write that changes a payment: restore its machine, hand it the
//! event, and store the new state with its audit entry, its outbox entries,
//! its storage intents and its index entries in one sled transaction.

use jiff::Timestamp;

use super::keys;
use super::records::{
    AuditEntry, Claim, Deadline, Effect, OutboxEntry, OutboxStatus, PaymentRecord,
};
use super::tx::{T, TxResult, TxView, fail};
use super::{Store, StoreError, Written};
use crate::domain::PaymentId;
use crate::machine::{Event, Handled, Intent, Machine, Refusal, StateName, Transition};
use crate::merchant::StoreSettings;

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

impl Store {
    /// Applies one event to one payment. A refusal writes nothing.
    pub fn apply(
        &self,
        id: &PaymentId,
        event: &Event,
        now: Timestamp,
    ) -> Result<Result<Written<Applied>, NotApplied>, StoreError> {
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
    ) -> Result<Result<Written<Applied>, NotApplied>, StoreError> {
        let tries_max = self.options().credit_tries_max;
        let outcome = self.transact(|view| {
            if let Some(expected) = version {
                let current = view.get::<PaymentRecord>(T::Payments, &keys::payment(id))?;
                match current {
                    None => return Ok(Err(NotApplied::UnknownPayment)),
                    Some(r) if r.version != expected => {
                        return Ok(Err(NotApplied::VersionMoved {
                            expected,
                            actual: r.version,
                        }));
                    }
                    Some(_) => {}
                }
            }
            apply_in(view, id, event, now, tries_max)
        })?;
        if let Err(not_applied) = &outcome {
            tracing::info!(payment_id = %id, event = event.kind().as_str(), %not_applied, "event refused");
        }
        Ok(outcome.map(|applied| {
            self.committed(&applied);
            let changed = vec![(applied.record.id.clone(), applied.record.version)];
            self.written_changing(applied, changed)
        }))
    }
}

/// The transition write, inside a caller's transaction (matching claims a
/// transaction and applies `matched` in one write).
pub(crate) fn apply_in(
    view: &TxView,
    id: &PaymentId,
    event: &Event,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Result<Applied, NotApplied>> {
    let Some(before) = view.get::<PaymentRecord>(T::Payments, &keys::payment(id))? else {
        return Ok(Err(NotApplied::UnknownPayment));
    };
    let settings: StoreSettings = view
        .get(T::Stores, before.store_id.as_str().as_bytes())?
        .unwrap_or_default();
    let mut machine =
        Machine::restore(&before.state).or_else(|e| fail(StoreError::Decode(e.to_string())))?;
    let outcome = machine
        .handle(event, now, &settings.policy(tries_max))
        .or_else(|e| fail(StoreError::Invariant(e.to_string())))?;
    let transition = match outcome {
        Handled::Refused(refusal) => {
            let state = before.state_name();
            return Ok(Err(NotApplied::Refused { state, refusal }));
        }
        Handled::Transitioned(t) => t,
    };
    let mut after = before.clone();
    after.version = before.version.saturating_add(1);
    after.updated_at = now;
    after.state = transition.state.clone();
    after.deadline = None;
    for intent in &transition.intents {
        apply_intent(view, &mut after, intent, now)?;
    }
    unindex(view, &before)?;
    index(view, &after)?;
    view.put(T::Payments, &keys::payment(id), &after)?;
    let audit = audit_entry(&after, event, &transition, now);
    view.put(T::Audit, &keys::audit(id, after.version), &audit)?;
    Ok(Ok(Applied {
        record: after,
        from: transition.from,
        to: transition.to,
        intents: transition.intents,
        audit,
    }))
}

fn audit_entry(after: &PaymentRecord, event: &Event, t: &Transition, now: Timestamp) -> AuditEntry {
    AuditEntry {
        payment_id: after.id.clone(),
        version: after.version,
        at: now,
        event: event.kind().as_str().to_owned(),
        actor: event.actor(),
        from: Some(t.from),
        to: t.to,
        reason: event.reason(),
        intents: t.intents.iter().map(Intent::kind).collect(),
    }
}

/// Performs a storage intent, or queues an outbox entry for the others.
fn apply_intent(
    view: &TxView,
    after: &mut PaymentRecord,
    intent: &Intent,
    now: Timestamp,
) -> TxResult<()> {
    match intent {
        Intent::ClaimTransaction {
            trans_id,
            credit_amount,
        } => {
            super::payments::claim_transaction(view, after, trans_id)?;
            after.claim = Some(Claim {
                trans_id: trans_id.clone(),
                credit_amount: *credit_amount,
            });
            Ok(())
        }
        Intent::ReleaseTransaction => {
            super::payments::release_transaction(view, after)?;
            // The released transaction may be what another payment waits for.
            match &after.claim {
                Some(claim) => {
                    let effect = Effect::Rematch {
                        trans_id: claim.trans_id.clone(),
                    };
                    queue(view, after, effect, now, now)
                }
                None => Ok(()),
            }
        }
        Intent::SettleTransaction => super::payments::settle_transaction(view, after),
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
            queue(view, after, effect, now, now)
        }
        Intent::SendAddCredit { not_before } => {
            queue(view, after, Effect::AddCredit, *not_before, now)
        }
        Intent::ResetBreaker => super::breaker::reset_in(view, &after.store_id),
    }
}

/// Writes an outbox entry and its due-index entry.
fn queue(
    view: &TxView,
    after: &PaymentRecord,
    effect: Effect,
    due_at: Timestamp,
    now: Timestamp,
) -> TxResult<()> {
    let key = keys::outbox(&after.id, after.version, effect.slot());
    let lane = effect.lane().code();
    let entry = OutboxEntry {
        payment_id: after.id.clone(),
        version: after.version,
        effect,
        due_at,
        created_at: now,
        tries: 0,
        status: OutboxStatus::Pending,
        last_error: None,
        parts_done: Vec::new(),
        needs_reconcile: false,
        reconcile_tries: 0,
    };
    view.put(T::Outbox, &key, &entry)?;
    view.put_raw(T::Index, &keys::outbox_due(lane, due_at, &key), &[])
}

/// Whether an identical check should find this payment: while it is open,
/// and once credited until a check reply has reported it.
fn owns_check(record: &PaymentRecord) -> bool {
    let state = record.state_name();
    !state.is_final() || (state == StateName::Credited && !record.credit_reported)
}

/// Adds `delta` to the stored count of payments in `state`. It lives with
/// the state index and changes in the same transaction, so opening a data
/// folder reads a few counts instead of scanning the index: a scan of a
/// million entries cost about 56 MiB of resident memory in sled.
fn count_state(view: &TxView, state: StateName, delta: i64) -> TxResult<()> {
    let key = keys::state_count(state);
    let now = view
        .get_raw(T::Index, &key)?
        .map_or(0, |v| decode_count(&v));
    let next = now.saturating_add_signed(delta);
    view.put_raw(T::Index, &key, &next.to_be_bytes())
}

/// A stored count; anything but 8 bytes reads as 0 (and `verify` reports it).
pub(crate) fn decode_count(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(0, u64::from_be_bytes)
}

/// Writes every index entry derived from a payment record.
pub(crate) fn index(view: &TxView, r: &PaymentRecord) -> TxResult<()> {
    let id = &r.id;
    view.put_raw(
        T::Index,
        &keys::by_state(r.state_name(), &r.store_id, id),
        &[],
    )?;
    count_state(view, r.state_name(), 1)?;
    if r.state_name() == StateName::Searching {
        let key = keys::waiting(&r.store_id, &r.phone, r.amount, r.created_at, id);
        view.put_raw(T::Index, &key, &[])?;
    }
    if owns_check(r) {
        let key = keys::check(&r.store_id, r.client_id, &r.phone, r.amount);
        view.put_raw(T::Index, &key, id.as_str().as_bytes())?;
    }
    if let Some(deadline) = r.deadline {
        view.put_raw(T::Index, &keys::timer(deadline.at, id), &[])?;
    }
    Ok(())
}

/// Removes every index entry derived from a payment record.
pub(crate) fn unindex(view: &TxView, r: &PaymentRecord) -> TxResult<()> {
    let id = &r.id;
    view.del(T::Index, &keys::by_state(r.state_name(), &r.store_id, id))?;
    count_state(view, r.state_name(), -1)?;
    view.del(
        T::Index,
        &keys::waiting(&r.store_id, &r.phone, r.amount, r.created_at, id),
    )?;
    let check = keys::check(&r.store_id, r.client_id, &r.phone, r.amount);
    // A newer identical check may own the key by now: only remove our own.
    if view
        .get_raw(T::Index, &check)?
        .is_some_and(|v| v.as_ref() == id.as_str().as_bytes())
    {
        view.del(T::Index, &check)?;
    }
    if let Some(deadline) = r.deadline {
        view.del(T::Index, &keys::timer(deadline.at, id))?;
    }
    Ok(())
}
