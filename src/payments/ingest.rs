//! An incoming transaction (from the SMS forwarder): stored once per
//! (store, trans_id), and at once claims the oldest payment waiting for
//! its phone and amount — held for a human when other clients wait for
//! it too, or when that payment was created well before the transfer
//! (`crate::antispam`'s claim rules). A transfer dated too far in the
//! future is never stored. What cannot be used goes to the quarantine.

use jiff::Timestamp;

use super::check::CLAIM_ROUNDS_MAX;
use super::matching::{Claiming, RIVALS_MAX, claim_searching, competition};
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
    /// The transfer's own time is further in the future than clocks can
    /// differ (`transfer_time_skew_max`): a misread date, never matched.
    /// Nothing was stored; the caller quarantines it.
    FromTheFuture(TransactionRecord),
}

impl Payments {
    /// Stores an incoming transaction and lets it claim the oldest waiting
    /// payment; idempotent on (store, trans_id).
    pub fn ingest(
        &self,
        record: &TransactionRecord,
        now: Timestamp,
    ) -> Result<Written<IngestOutcome>, DbError> {
        let latest = now
            .checked_add(self.options().transfer_time_skew_max)
            .unwrap_or(Timestamp::MAX);
        if record.received_at > latest {
            let outcome = IngestOutcome::FromTheFuture(record.clone());
            return Ok(self.written(self.db().durable(outcome), Vec::new()));
        }
        let claiming = self.claiming(now);
        for round in 0..CLAIM_ROUNDS_MAX {
            let rivals = match &record.phone {
                Some(phone) => self.db().waiting_payments(
                    &record.store_id,
                    phone,
                    record.amount,
                    RIVALS_MAX,
                )?,
                None => Vec::new(),
            };
            let last_round = round + 1 == CLAIM_ROUNDS_MAX;
            let outcome = self
                .db()
                .transact(|tx| ingest_in(tx, record, &rivals, last_round, &claiming))?;
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

/// The transaction's write. `None` asks for a fresh scan: the waiting
/// payments changed since the scan (one was taken by a concurrent claim,
/// or another client's joined).
fn ingest_in(
    tx: &WriteTx,
    record: &TransactionRecord,
    rivals: &[PaymentId],
    last_round: bool,
    claiming: &Claiming,
) -> TxResult<Option<IngestOutcome>> {
    if let Some(stored) = tx.transaction(&record.store_id, &record.trans_id)? {
        let same = stored.phone == record.phone && stored.amount == record.amount;
        return Ok(Some(if same {
            IngestOutcome::Known(stored)
        } else {
            IngestOutcome::Conflict(stored)
        }));
    }
    let chosen = first_waiting(tx, rivals)?;
    if chosen.is_none() && rivals.len() == RIVALS_MAX && !last_round {
        return Ok(None);
    }
    // Also when nobody seemed to wait: a payment created since the scan
    // must not be left waiting beside an unclaimed transfer.
    let competition = match &record.phone {
        Some(phone) => {
            let key = (&record.store_id, phone, record.amount);
            let claimant = chosen.as_ref().map(|p| &p.id);
            match competition(tx, key, claimant, rivals, last_round)? {
                Some(competition) => competition,
                None => return Ok(None),
            }
        }
        None => Default::default(),
    };
    let fresh = TransactionRecord::new(
        record.store_id.clone(),
        record.trans_id.clone(),
        record.phone.clone(),
        record.amount,
        record.received_at,
        claiming.now,
    );
    tx.put_transaction(&fresh)?;
    let claimed = match chosen {
        Some(payment) => claim_searching(tx, &payment, &fresh.trans_id, &competition, claiming)?,
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
