//! A consistency check of everything stored: the invariants storage can
//! show (docs/design.md, "Invariants": 1 one live claim and at most one
//! credit per transaction; 3 a held payment reaches crediting only by an
//! allowed approve, and a payment is credited without a human only when
//! no rule held it; 4 the audit trail is complete; 5 final states absorb),
//! that a transaction waiting for an operator is held by nobody, and that
//! the indexes and counts agree with the records. Tests, fuzzers and
//! crash tests run it after every step; an operator can run it on a copy
//! of a data folder.

use std::collections::HashMap;

use super::Payments;
use crate::db::{AuditEntry, AuditEvent, DbError, Effect, PaymentRecord, TransactionRecord};
use crate::domain::{Email, PaymentId};
use crate::machine::{Actor, EventKind, Machine, StateName};

/// Most payments one check looks at (it is meant for tests and copies).
pub const VERIFY_PAYMENTS_MAX: usize = 1_000_000;

impl Payments {
    /// How many payments are stored, from the counts kept by state.
    pub fn payments_stored(&self) -> Result<u64, DbError> {
        let mut total = 0u64;
        for state in StateName::ALL {
            total = total.saturating_add(self.db().state_count(state)?);
        }
        Ok(total)
    }

    /// Every problem found; empty when all is consistent.
    pub fn verify(&self) -> Result<Vec<String>, DbError> {
        let mut problems = Vec::new();
        let mut live_claims: HashMap<String, Vec<PaymentId>> = HashMap::new();
        let mut credits: HashMap<String, Vec<PaymentId>> = HashMap::new();
        let mut removable = 0u64;
        for record in self.db().all_payments().take(VERIFY_PAYMENTS_MAX) {
            let record = record?;
            self.verify_payment(&record, &mut problems)?;
            removable += u64::from(record.ended_unclaimed().is_some());
            if let Some(claim) = &record.claim {
                let key = format!("{}/{}", record.store_id, claim.trans_id);
                let state = record.state_name();
                if !matches!(state, StateName::Rejected | StateName::Expired) {
                    live_claims
                        .entry(key.clone())
                        .or_default()
                        .push(record.id.clone());
                }
                if state == StateName::Credited {
                    credits.entry(key).or_default().push(record.id.clone());
                }
            }
        }
        for (tx, holders) in live_claims.iter().filter(|(_, h)| h.len() > 1) {
            problems.push(format!(
                "invariant 1: transaction {tx} claimed by {holders:?}"
            ));
        }
        for (tx, holders) in credits.iter().filter(|(_, h)| h.len() > 1) {
            problems.push(format!(
                "invariant 1: transaction {tx} credited by {holders:?}"
            ));
        }
        let sizes = self.db().index_sizes()?;
        if sizes.retention != removable {
            problems.push(format!(
                "index: {removable} payments ended without a transaction, {} in the retention index",
                sizes.retention
            ));
        }
        self.verify_transactions(sizes, &mut problems)?;
        problems.extend(self.db().count_problems()?);
        Ok(problems)
    }

    /// Every transaction: a claim or credit names a payment that has it,
    /// one waiting for an operator is held by nobody, and each is listed
    /// in exactly the indexes its record says.
    fn verify_transactions(
        &self,
        sizes: crate::db::IndexSizes,
        problems: &mut Vec<String>,
    ) -> Result<(), DbError> {
        let (mut unclaimed, mut awaiting) = (0u64, 0u64);
        for tx in self.db().all_transactions().take(VERIFY_PAYMENTS_MAX) {
            let tx = tx?;
            let name = format!("{}/{}", tx.store_id, tx.trans_id);
            let (listed_unclaimed, listed_awaiting) = self.db().transaction_listed(&tx)?;
            let should_list = tx.is_claimable() && tx.phone.is_some();
            if listed_unclaimed != should_list {
                problems.push(format!("{name}: unclaimed index says {listed_unclaimed}"));
            }
            if listed_awaiting != tx.awaiting_operator.is_some() {
                problems.push(format!("{name}: operator index says {listed_awaiting}"));
            }
            unclaimed += u64::from(should_list);
            awaiting += u64::from(tx.awaiting_operator.is_some());
            self.verify_transaction(&name, &tx, problems)?;
        }
        if (unclaimed, awaiting) != (sizes.unclaimed, sizes.awaiting) {
            problems.push(format!(
                "index: {unclaimed} unclaimed and {awaiting} waiting transactions, indexed {} and {}",
                sizes.unclaimed, sizes.awaiting
            ));
        }
        Ok(())
    }

    fn verify_transaction(
        &self,
        name: &str,
        tx: &TransactionRecord,
        problems: &mut Vec<String>,
    ) -> Result<(), DbError> {
        if let Some(released) = &tx.awaiting_operator
            && !tx.is_assignable()
        {
            problems.push(format!(
                "{name}: waits for an operator since {} but is held or credited",
                released.at
            ));
        }
        for holder in [&tx.claimed_by, &tx.credited_to].into_iter().flatten() {
            let claims_it = self
                .payment(holder)?
                .and_then(|p| p.claim)
                .is_some_and(|c| c.trans_id == tx.trans_id);
            if !claims_it {
                problems.push(format!("{name}: names {holder}, which has no claim on it"));
            }
        }
        Ok(())
    }

    fn verify_payment(&self, r: &PaymentRecord, problems: &mut Vec<String>) -> Result<(), DbError> {
        let id = &r.id;
        if let Err(e) = Machine::restore(&r.state) {
            problems.push(format!("{id}: restore failed: {e}"));
        }
        let history = self.history(id)?;
        verify_history(r, &history, problems);
        let settings = self.stores().get(&r.store_id)?.unwrap_or_default();
        verify_decisions(r, &history, &settings.anti_spam.approvers, problems);
        self.verify_outbox(r, &history, problems)?;
        self.verify_claim(r, problems)?;
        self.verify_index(r, problems)
    }

    fn verify_outbox(
        &self,
        r: &PaymentRecord,
        history: &[AuditEntry],
        problems: &mut Vec<String>,
    ) -> Result<(), DbError> {
        let outbox = self.outbox_of(&r.id)?;
        for entry in outbox.iter().filter(|e| e.version > r.version) {
            problems.push(format!(
                "{}: outbox entry of version {} beyond the record's {}",
                r.id, entry.version, r.version
            ));
        }
        for audit in history {
            let wants = audit.intents.iter().filter(|k| k.queues_outbox()).count()
                + usize::from(super::invoices::queued_by(audit, r));
            // A release queued a rematch in earlier versions; it is extra.
            let has = outbox
                .iter()
                .filter(|e| e.version == audit.version)
                .filter(|e| !matches!(e.effect, Effect::Rematch { .. }))
                .count();
            if wants != has {
                problems.push(format!(
                    "{}: version {} wants {wants} outbox entries, has {has}",
                    r.id, audit.version
                ));
            }
        }
        Ok(())
    }

    fn verify_claim(&self, r: &PaymentRecord, problems: &mut Vec<String>) -> Result<(), DbError> {
        let Some(claim) = &r.claim else {
            return Ok(());
        };
        let Some(tx) = self.transaction(&r.store_id, &claim.trans_id)? else {
            problems.push(format!(
                "{}: claims missing transaction {}",
                r.id, claim.trans_id
            ));
            return Ok(());
        };
        let state = r.state_name();
        let holds = tx.claimed_by.as_ref() == Some(&r.id);
        let released = matches!(state, StateName::Rejected | StateName::Expired);
        if holds == released {
            problems.push(format!(
                "{}: in {state}, but the transaction's claim says {:?}",
                r.id, tx.claimed_by
            ));
        }
        if (state == StateName::Credited) != (tx.credited_to.as_ref() == Some(&r.id)) {
            problems.push(format!(
                "{}: in {state}, but the transaction's credit says {:?}",
                r.id, tx.credited_to
            ));
        }
        Ok(())
    }

    fn verify_index(&self, r: &PaymentRecord, problems: &mut Vec<String>) -> Result<(), DbError> {
        let indexed = self.db().indexed_states(&r.store_id, &r.id)?;
        if indexed != [r.state_name()] {
            problems.push(format!(
                "{}: is {} but the state index lists {indexed:?}",
                r.id,
                r.state_name()
            ));
        }
        if let Some(deadline) = r.deadline
            && !self.db().has_timer(deadline.at, &r.id)?
        {
            problems.push(format!("{}: deadline without a timer", r.id));
        }
        if let Some(ended) = r.ended_unclaimed()
            && !self.db().has_retention_entry(ended, &r.id)?
        {
            problems.push(format!(
                "{}: ended without a transaction, not in the retention index",
                r.id
            ));
        }
        if !self.db().has_search_entries(r)? {
            problems.push(format!(
                "{}: missing from the search by phone or client",
                r.id
            ));
        }
        Ok(())
    }
}

/// Invariants 4 and 5: versions 1..=version, each entry starting where the
/// previous ended, the last ending in the record's state, nothing after a
/// final state.
fn verify_history(r: &PaymentRecord, history: &[AuditEntry], problems: &mut Vec<String>) {
    let id = &r.id;
    let versions: Vec<u64> = history.iter().map(|a| a.version).collect();
    let expected: Vec<u64> = (1..=r.version).collect();
    if versions != expected {
        problems.push(format!(
            "invariant 4: {id} has audit versions {versions:?} for version {}",
            r.version
        ));
    }
    for pair in history.windows(2) {
        if pair[1].from != Some(pair[0].to) {
            problems.push(format!(
                "invariant 4: {id} audit jumps from {} to {:?}",
                pair[0].to, pair[1].from
            ));
        }
        if pair[0].to.is_final() {
            problems.push(format!(
                "invariant 5: {id} moved on from final state {}",
                pair[0].to
            ));
        }
    }
    if history.last().map(|a| a.to) != Some(r.state_name()) {
        problems.push(format!(
            "invariant 4: {id} is {} but its audit ends elsewhere",
            r.state_name()
        ));
    }
}

/// Invariant 3: `held` → `crediting` only by an approve from someone who
/// may decide (the machine's own rule, `Actor::may_decide`); `searching`
/// → `crediting` only by a match no rule held, or an operator's assignment.
fn verify_decisions(
    r: &PaymentRecord,
    history: &[AuditEntry],
    approvers: &[Email],
    problems: &mut Vec<String>,
) {
    for a in history
        .iter()
        .filter(|a| a.from == Some(StateName::Searching) && a.to == StateName::Crediting)
    {
        let unheld =
            a.event == AuditEvent::Machine(EventKind::Matched) && a.hold_reasons.is_empty();
        let assigned = a.event == AuditEvent::Machine(EventKind::Assign)
            && matches!(a.actor, Actor::Operator { .. });
        if !unheld && !assigned {
            problems.push(format!(
                "invariant 3: {} went to crediting by {} {:?} with reasons {:?}",
                r.id,
                a.event.as_str(),
                a.actor,
                a.hold_reasons
            ));
        }
    }
    for a in history
        .iter()
        .filter(|a| a.from == Some(StateName::Held) && a.to == StateName::Crediting)
    {
        let approved = a.event == AuditEvent::Machine(EventKind::Approve);
        if !approved || !a.actor.may_decide(approvers) {
            problems.push(format!(
                "invariant 3: {} left held by {} from {:?}",
                r.id,
                a.event.as_str(),
                a.actor
            ));
        }
    }
}
