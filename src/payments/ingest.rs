//! An incoming transaction (from the SMS forwarder): stored once per
//! (store, trans_id), and at once claims the oldest payment waiting for
//! its phone and amount. What cannot be used goes to the quarantine.

use jiff::Timestamp;

use super::check::{CANDIDATES_MAX, CLAIM_ROUNDS_MAX};
use super::matching::claim_searching;
use super::transition::Applied;
use super::{Payments, Written};
use crate::db::{
    DbError, Invariant, PaymentRecord, QuarantineEntry, TransactionRecord, TxResult, WriteTx,
};
use crate::domain::PaymentId;
use crate::machine::StateName;

/// What storing an incoming transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored for the first time; `claimed` when it matched a waiting payment.
    New {
        tx: TransactionRecord,
        claimed: Option<Box<Applied>>,
    },
    /// The same trans_id with the same data was already stored: nothing changed.
    Known(TransactionRecord),
    /// The same trans_id with different data is stored: nothing changed.
    Conflict(TransactionRecord),
}

impl Payments {
    /// Stores an incoming transaction and lets it claim the oldest waiting
    /// payment; idempotent on (store, trans_id).
    pub fn ingest(
        &self,
        record: &TransactionRecord,
        now: Timestamp,
    ) -> Result<Written<IngestOutcome>, DbError> {
        let tries_max = self.tries_max();
        for round in 0..CLAIM_ROUNDS_MAX {
            let candidates = match &record.phone {
                Some(phone) => self.db().waiting_payments(
                    &record.store_id,
                    phone,
                    record.amount,
                    CANDIDATES_MAX,
                )?,
                None => Vec::new(),
            };
            let last_round = round + 1 == CLAIM_ROUNDS_MAX;
            let outcome = self
                .db()
                .transact(|tx| ingest_in(tx, record, &candidates, last_round, now, tries_max))?;
            let Some(outcome) = outcome else {
                continue;
            };
            let changed = match &outcome {
                IngestOutcome::New {
                    claimed: Some(a), ..
                } => {
                    self.committed(a);
                    vec![(a.record.id.clone(), a.record.version)]
                }
                _ => Vec::new(),
            };
            return Ok(self.written(self.db().durable(outcome), changed));
        }
        Err(Invariant::NoOutcome.into())
    }

    /// Stores a transaction record as it is, claim fields included (tests,
    /// benchmarks and bulk loads; ingestion uses `ingest`).
    pub fn put_transaction(&self, record: &TransactionRecord) -> Result<Written<()>, DbError> {
        let pending = self.db().write(|tx| tx.put_transaction(record))?;
        Ok(self.written(pending, Vec::new()))
    }

    /// Keeps a payload ingestion could not use, with its reason.
    pub fn quarantine(&self, entry: QuarantineEntry) -> Result<Written<QuarantineEntry>, DbError> {
        let pending = self.db().insert_quarantine(entry)?;
        Ok(self.written(pending, Vec::new()))
    }
}

/// The transaction's write. `None` asks for a fresh scan: every candidate
/// was taken by a concurrent claim and more may wait behind them.
fn ingest_in(
    tx: &WriteTx,
    record: &TransactionRecord,
    candidates: &[PaymentId],
    last_round: bool,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Option<IngestOutcome>> {
    if let Some(stored) = tx.transaction(&record.store_id, &record.trans_id)? {
        let same = stored.phone == record.phone && stored.amount == record.amount;
        return Ok(Some(if same {
            IngestOutcome::Known(stored)
        } else {
            IngestOutcome::Conflict(stored)
        }));
    }
    let chosen = first_waiting(tx, candidates)?;
    if chosen.is_none() && candidates.len() == CANDIDATES_MAX && !last_round {
        return Ok(None);
    }
    let fresh = TransactionRecord {
        claimed_by: None,
        credited_to: None,
        stored_at: now,
        ..record.clone()
    };
    tx.put_transaction(&fresh)?;
    let claimed = match chosen {
        Some(payment) => claim_searching(tx, &payment, &fresh.trans_id, now, tries_max)?,
        None => None,
    };
    let stored = tx
        .transaction(&fresh.store_id, &fresh.trans_id)?
        .unwrap_or(fresh);
    Ok(Some(IngestOutcome::New {
        tx: stored,
        claimed: claimed.map(Box::new),
    }))
}

/// The first candidate that still waits.
pub(super) fn first_waiting(
    tx: &WriteTx,
    candidates: &[PaymentId],
) -> TxResult<Option<PaymentRecord>> {
    for id in candidates {
        let record = tx.payment(id)?;
        if let Some(record) = record.filter(|r| r.state_name() == StateName::Searching) {
            return Ok(Some(record));
        }
    }
    Ok(None)
}
