//! A released transaction (its claim was rejected or expired) claims the
//! oldest payment that waits for it: the outbox's `rematch` effect.

use jiff::Timestamp;

use super::check::CANDIDATES_MAX;
use super::ingest::first_waiting;
use super::matching::claim_searching;
use super::transition::Applied;
use super::{Payments, Written};
use crate::db::DbError;
use crate::domain::{StoreId, TransId};

impl Payments {
    pub fn rematch(
        &self,
        store: &StoreId,
        trans_id: &TransId,
        now: Timestamp,
    ) -> Result<Written<Option<Applied>>, DbError> {
        let tries_max = self.tries_max();
        let Some(record) = self.db().transaction(store, trans_id)? else {
            return Ok(self.written(self.db().durable(None), Vec::new()));
        };
        let Some(phone) = record.phone.as_ref().filter(|_| record.is_claimable()) else {
            return Ok(self.written(self.db().durable(None), Vec::new()));
        };
        let candidates = self
            .db()
            .waiting_payments(store, phone, record.amount, CANDIDATES_MAX)?;
        let applied = self.db().transact(|tx| {
            let still_free = tx
                .transaction(store, trans_id)?
                .is_some_and(|r| r.is_claimable());
            if !still_free {
                return Ok(None);
            }
            match first_waiting(tx, &candidates)? {
                Some(payment) => claim_searching(tx, &payment, trans_id, now, tries_max),
                None => Ok(None),
            }
        })?;
        if let Some(a) = &applied {
            self.committed(a);
        }
        let changed = applied
            .iter()
            .map(|a| (a.record.id.clone(), a.record.version))
            .collect();
        Ok(self.written(self.db().durable(applied), changed))
    }
}
