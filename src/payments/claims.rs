//! A transaction's claim, and invariant 1: one incoming transaction is
//! claimed by at most one live payment and credited at most once. A claim
//! starts with the `matched` transition (`matching`) or an operator's
//! `assign`, ends with a release (rejected, expired) or is settled by the
//! credit. A released transaction waits for an operator: nothing matches
//! it again by itself, so whoever lost the claim cannot just check again.
//! These are the storage intents the transition write performs.

use jiff::Timestamp;

use super::antispam;
use crate::db::{Invariant, PaymentRecord, Released, TransactionRecord, TxResult, WriteTx, abort};
use crate::domain::TransId;

fn load(tx: &WriteTx, payment: &PaymentRecord, trans_id: &TransId) -> TxResult<TransactionRecord> {
    match tx.transaction(&payment.store_id, trans_id)? {
        Some(record) => Ok(record),
        None => abort(Invariant::TransactionMissing(trans_id.clone())),
    }
}

/// The transaction is now held by this payment. One that waits for an
/// operator is taken only by an operator's assignment (`by_operator`).
pub(super) fn claim_transaction(
    tx: &WriteTx,
    payment: &PaymentRecord,
    trans_id: &TransId,
    by_operator: bool,
) -> TxResult<()> {
    let mut record = load(tx, payment, trans_id)?;
    if let Some(holder) = record.claimed_by.as_ref().or(record.credited_to.as_ref()) {
        return abort(Invariant::AlreadyClaimed {
            trans_id: trans_id.clone(),
            holder: holder.clone(),
        });
    }
    if record.awaiting_operator.is_some() && !by_operator {
        return abort(Invariant::AwaitingOperator(trans_id.clone()));
    }
    record.claimed_by = Some(payment.id.clone());
    record.awaiting_operator = None;
    tx.put_transaction(&record)
}

/// The claim ends (`payment` is now rejected or expired): the transaction
/// waits for an operator to assign it.
pub(super) fn release_transaction(
    tx: &WriteTx,
    payment: &PaymentRecord,
    now: Timestamp,
) -> TxResult<()> {
    let mut record = held_by(tx, payment)?;
    record.claimed_by = None;
    record.awaiting_operator = Some(Released {
        at: now,
        from: payment.id.clone(),
        ended_in: payment.state_name(),
    });
    tx.put_transaction(&record)
}

/// The transaction is credited to this payment, for good. Also records the
/// (store, phone, client) binding that anti-spam learns from.
pub(super) fn settle_transaction(tx: &WriteTx, payment: &PaymentRecord) -> TxResult<()> {
    let mut record = held_by(tx, payment)?;
    record.credited_to = Some(payment.id.clone());
    tx.put_transaction(&record)?;
    antispam::bind(tx, payment)
}

/// The payment's claimed transaction, which it must hold and which must
/// not be credited yet.
fn held_by(tx: &WriteTx, payment: &PaymentRecord) -> TxResult<TransactionRecord> {
    let Some(claim) = &payment.claim else {
        return abort(Invariant::NoClaim(payment.id.clone()));
    };
    let record = load(tx, payment, &claim.trans_id)?;
    if record.claimed_by.as_ref() != Some(&payment.id) || record.credited_to.is_some() {
        return abort(Invariant::ClaimNotHeld {
            payment: payment.id.clone(),
            trans_id: claim.trans_id.clone(),
        });
    }
    Ok(record)
}
