//! A match: a `searching` payment and a transaction with its phone and
//! amount meet (in a check, an ingest or a rematch). The anti-spam verdict
//! and the credit at the store's rate go into the `matched` event, whose
//! transition claims the transaction.

use jiff::Timestamp;

use super::antispam;
use super::transition::{Applied, NotApplied, transition_in};
use crate::db::{Invariant, PaymentRecord, TxResult, WriteTx, abort};
use crate::domain::TransId;
use crate::machine::{Event, HoldReason, Match};

/// Applies `matched` for `trans_id` to a `searching` payment, with the
/// anti-spam verdict and the credit converted at the store's rate.
/// `NoCredit` (and nothing written) when the amount converts to 0.00.
/// `extra_reasons` hold it beyond the anti-spam rules' (a claim by
/// reference adds its own, whatever the store's anti-spam setting).
pub(super) fn claim_with(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    now: Timestamp,
    tries_max: u32,
    extra_reasons: &[HoldReason],
) -> TxResult<Result<Applied, NotApplied>> {
    let settings = tx.store_settings(&record.store_id)?.unwrap_or_default();
    let facts = antispam::facts(tx, record, now)?;
    let mut hold_reasons =
        crate::antispam::decide(&settings.anti_spam, record.client_id, record.amount, &facts);
    hold_reasons.extend_from_slice(extra_reasons);
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

/// `claim_with` where a refusal other than `NoCredit` is impossible (the
/// payment was read `searching` in this same write): anything else aborts.
pub(super) fn claim_searching(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Option<Applied>> {
    claim_searching_with(tx, record, trans_id, now, tries_max, &[])
}

/// `claim_searching` with extra reasons to hold.
pub(super) fn claim_searching_with(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    now: Timestamp,
    tries_max: u32,
    extra_reasons: &[HoldReason],
) -> TxResult<Option<Applied>> {
    match claim_with(tx, record, trans_id, now, tries_max, extra_reasons)? {
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
