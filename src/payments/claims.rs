//! A transaction's claim, and invariant 1: one incoming transaction is
//! claimed by at most one live payment and credited at most once. A
//! claim starts with `matched` (the anti-spam verdict decides `crediting`
//! or `held`), ends with a release (rejected, expired) or is settled by
//! the credit.

use jiff::Timestamp;

use super::antispam;
use super::transition::{Applied, NotApplied, transition_in};
use crate::db::{Invariant, PaymentRecord, TransactionRecord, TxResult, WriteTx, abort};
use crate::domain::TransId;
use crate::machine::{Event, Match};

/// Applies `matched` for `trans_id` to a `searching` payment, with the
/// anti-spam verdict and the credit converted at the store's rate.
/// `NoCredit` (and nothing written) when the amount converts to 0.00.
pub(super) fn claim(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Result<Applied, NotApplied>> {
    let settings = tx.store_settings(&record.store_id)?.unwrap_or_default();
    let facts = antispam::facts(tx, record, now)?;
    let hold_reasons =
        crate::antispam::decide(&settings.anti_spam, record.client_id, record.amount, &facts);
    let Some(credit_amount) = record.amount.convert(settings.currency_rate) else {
        // Nothing to credit at the store's rate (it rounds to 0.00): the
        // transaction stays unclaimed rather than failing the whole write.
        tracing::warn!(payment_id = %record.id, amount = %record.amount, rate = %settings.currency_rate,
            "amount converts to no credit at the store's rate: not claimed");
        return Ok(Err(NotApplied::NoCredit));
    };
    let event = Event::Matched(Match {
        trans_id: trans_id.clone(),
        credit_amount,
        hold_reasons,
    });
    transition_in(tx, &record.id, &event, now, tries_max)
}

/// `claim` where a refusal other than `NoCredit` is impossible (the
/// payment was read `searching` in this same write): anything else aborts.
pub(super) fn claim_searching(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Option<Applied>> {
    match claim(tx, record, trans_id, now, tries_max)? {
        Ok(applied) => Ok(Some(applied)),
        Err(NotApplied::NoCredit) => Ok(None),
        Err(NotApplied::Refused { refusal, .. }) => abort(Invariant::MatchRefused {
            payment: record.id.clone(),
            refusal,
        }),
        Err(NotApplied::UnknownPayment | NotApplied::VersionMoved { .. }) => {
            abort(Invariant::MatchRefused {
                payment: record.id.clone(),
                refusal: crate::machine::Refusal::NotAllowedInState,
            })
        }
    }
}

fn load(tx: &WriteTx, payment: &PaymentRecord, trans_id: &TransId) -> TxResult<TransactionRecord> {
    match tx.transaction(&payment.store_id, trans_id)? {
        Some(record) => Ok(record),
        None => abort(Invariant::TransactionMissing(trans_id.clone())),
    }
}

/// The transaction is now held by this payment.
pub(super) fn claim_transaction(
    tx: &WriteTx,
    payment: &PaymentRecord,
    trans_id: &TransId,
) -> TxResult<()> {
    let mut record = load(tx, payment, trans_id)?;
    if let Some(holder) = record.claimed_by.as_ref().or(record.credited_to.as_ref()) {
        return abort(Invariant::AlreadyClaimed {
            trans_id: trans_id.clone(),
            holder: holder.clone(),
        });
    }
    record.claimed_by = Some(payment.id.clone());
    tx.put_transaction(&record)
}

/// The claim ends (rejected, expired): the transaction may be claimed again.
pub(super) fn release_transaction(tx: &WriteTx, payment: &PaymentRecord) -> TxResult<()> {
    let mut record = held_by(tx, payment)?;
    record.claimed_by = None;
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
