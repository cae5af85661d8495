//! The operations of the model harness, each applied to the real use
//! cases and to the model, failing on the first disagreement.

use jiff::Timestamp;

use super::harness::{Harness, LISTED, Mismatch, fail, io};
use super::world::{CheckKind, MPay, MTx, SEARCH_WINDOW_MS, SKEW_MAX_MS, TRIES_MAX};
use super::{Op, WhmcsAnswer, Who};
use crate::domain::{ClientId, Email, Lang, PaymentId, TransId};
use crate::machine::{Actor, DeadlineKind, Decision, EdgeFacts, Event, StateName, lookup};
use crate::payments::{
    AssignRequest, CheckOutcome, IngestOutcome, Lane, NewPayment, TransactionRecord,
};

impl Harness {
    /// One operation on both sides, the internal lane, then the comparison.
    pub fn apply(&mut self, op: Op) -> Result<(), Mismatch> {
        match op {
            Op::Check {
                client,
                phone,
                amount,
            } => self.check_op(client % 4, phone % 2, amount % 2)?,
            Op::Sms {
                tx,
                phone,
                amount,
                ahead,
            } => {
                let ahead_minutes = i64::from(ahead.saturating_sub(240));
                self.sms(tx % 8, phone % 2, amount % 2, ahead_minutes)?
            }
            Op::Assign { tx, payment } => self.assign(tx, payment)?,
            Op::Decide {
                payment,
                approve,
                who,
            } => {
                let decision = Decision {
                    actor: actor(who),
                    note: None,
                };
                let event = if approve {
                    Event::Approve(decision)
                } else {
                    Event::Reject(decision)
                };
                self.event(payment, event)?;
            }
            Op::Retry { payment } => self.event(payment, Event::Retry(operator()))?,
            Op::MarkCredited { payment } => self.event(payment, Event::MarkCredited(operator()))?,
            Op::Whmcs { payment, answer } => {
                self.event(payment, whmcs_event(answer, self.now()))?
            }
            Op::Advance { minutes } => self.advance(i64::from(minutes))?,
            Op::Reboot => self.reboot()?,
        }
        self.nothing_rematches()?;
        // Distinct times keep the store's oldest-first order predictable.
        self.now_ms += 1;
        self.compare()
    }

    fn check_op(&mut self, client: u8, phone: u8, amount: u8) -> Result<(), Mismatch> {
        let expected = self.world.check_kind(client, phone, amount);
        let new = NewPayment {
            store_id: self.store_id.clone(),
            client_id: ClientId::try_from(u32::from(client) + 1).map_err(io)?,
            phone: Harness::phone(phone),
            amount: Harness::amount(amount),
            lang: Lang::En,
            invoice: None,
        };
        let outcome = self
            .payments()?
            .check(&new, self.now())
            .map_err(io)?
            .durable_blocking()
            .map_err(io)?;
        match (expected, outcome) {
            (
                CheckKind::Repeat {
                    payment,
                    newly_reported,
                },
                CheckOutcome::Repeat {
                    record,
                    newly_reported: got,
                },
            ) => {
                self.same_payment(payment, &record.id)?;
                if newly_reported != got {
                    return fail(format!("check reported {got}, model {newly_reported}"));
                }
                if newly_reported {
                    self.world.payments[payment].reported = true;
                }
            }
            (CheckKind::RepeatMatched { payment }, CheckOutcome::Matched(applied)) => {
                self.same_payment(payment, &applied.record.id)?;
                let t = self
                    .world
                    .oldest_unclaimed(phone, amount)
                    .ok_or_else(|| Mismatch("no tx".into()))?;
                self.world.claim(payment, t, self.now_ms);
            }
            (CheckKind::New, outcome @ (CheckOutcome::Matched(_) | CheckOutcome::Searching(_))) => {
                let record = outcome.record().clone();
                self.world.payments.push(MPay {
                    id: record.id.to_string(),
                    client,
                    phone,
                    amount,
                    created_ms: self.now_ms,
                    state: StateName::Searching,
                    attempts: 0,
                    version: 1,
                    claim: None,
                    reported: false,
                    deadline: Some((DeadlineKind::Search, self.now_ms + SEARCH_WINDOW_MS)),
                    reasons: Vec::new(),
                    competing: Vec::new(),
                });
                let i = self.world.payments.len() - 1;
                // Pushed last: the new payment is the youngest waiting, as
                // in the store, where it is created before it claims.
                match (self.world.oldest_unclaimed(phone, amount), outcome) {
                    (Some(t), CheckOutcome::Matched(_)) => self.world.claim(i, t, self.now_ms),
                    (None, CheckOutcome::Searching(_)) => {}
                    (model, real) => {
                        return fail(format!(
                            "new check: model claims {model:?}, store did {real:?}"
                        ));
                    }
                }
            }
            (expected, real) => return fail(format!("check: model {expected:?}, store {real:?}")),
        }
        Ok(())
    }

    fn same_payment(&self, i: usize, id: &PaymentId) -> Result<(), Mismatch> {
        if self.world.payments[i].id != id.as_str() {
            return fail(format!(
                "check found {id}, model expected {}",
                self.world.payments[i].id
            ));
        }
        Ok(())
    }
}

fn actor(who: Who) -> Actor {
    match who {
        Who::Approver => Actor::Approver {
            email: email(LISTED),
            ip: None,
            user_agent: None,
        },
        Who::Stranger => Actor::Approver {
            email: email("stranger@example.com"),
            ip: None,
            user_agent: None,
        },
        Who::Operator => Actor::Operator {
            by: crate::machine::OperatorName::Admin,
            ip: None,
        },
        Who::System => Actor::System,
    }
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap_or_else(|_| unreachable!("a valid literal"))
}

fn operator() -> Decision {
    Decision {
        actor: Actor::Operator {
            by: crate::machine::OperatorName::Admin,
            ip: None,
        },
        note: None,
    }
}

fn whmcs_event(answer: WhmcsAnswer, now: Timestamp) -> Event {
    match answer {
        WhmcsAnswer::Success => Event::CreditSucceeded,
        WhmcsAnswer::Permanent => Event::CreditPermanentFailure {
            reason: "Authentication Failed".into(),
        },
        WhmcsAnswer::Transient => Event::CreditTransientFailure {
            reason: "refused".into(),
            retry_at: now,
        },
        WhmcsAnswer::UnknownFound => Event::ReconciledFound,
        WhmcsAnswer::UnknownAbsent => Event::ReconciledAbsent,
        WhmcsAnswer::UnknownRefused => Event::Unreconcilable {
            reason: "GetCredits refused".into(),
        },
    }
}

impl Harness {
    fn sms(
        &mut self,
        trans: u8,
        phone: u8,
        amount: u8,
        ahead_minutes: i64,
    ) -> Result<(), Mismatch> {
        let received_ms = self.now_ms + ahead_minutes * 60_000;
        let received_at = Timestamp::from_millisecond(received_ms).map_err(io)?;
        let record = TransactionRecord::new(
            self.store_id.clone(),
            TransId::parse(&format!("t{trans}")).map_err(io)?,
            Some(Harness::phone(phone)),
            Harness::amount(amount),
            received_at,
            self.now(),
        );
        let outcome = self
            .payments()?
            .ingest(&record, self.now())
            .map_err(io)?
            .durable_blocking()
            .map_err(io)?;
        let known = self.world.txs.iter().position(|t| t.trans == trans);
        let ahead = received_ms - self.now_ms > SKEW_MAX_MS;
        match (known, outcome) {
            (_, IngestOutcome::FromTheFuture(_)) if ahead => Ok(()),
            (_, real) if ahead => fail(format!("t{trans} dated ahead: the store did {real:?}")),
            (Some(t), IngestOutcome::Known(_))
                if (self.world.txs[t].phone, self.world.txs[t].amount) == (phone, amount) =>
            {
                Ok(())
            }
            (Some(t), IngestOutcome::Conflict(_))
                if (self.world.txs[t].phone, self.world.txs[t].amount) != (phone, amount) =>
            {
                Ok(())
            }
            (None, IngestOutcome::New { claimed, .. }) => {
                self.world.txs.push(MTx {
                    trans,
                    phone,
                    amount,
                    received_ms,
                    claimed_by: None,
                    credited_to: None,
                    awaiting: false,
                });
                let t = self.world.txs.len() - 1;
                let waiting = self.world.oldest_waiting(phone, amount);
                match (waiting, claimed) {
                    (Some(i), Some(applied))
                        if self.world.payments[i].id == applied.record.id.as_str() =>
                    {
                        self.world.claim(i, t, self.now_ms);
                        Ok(())
                    }
                    (None, None) => Ok(()),
                    (model, real) => fail(format!(
                        "sms claimed {:?}, model {model:?}",
                        real.map(|a| a.record.id)
                    )),
                }
            }
            (model, real) => fail(format!(
                "sms t{trans}: model knew {model:?}, store {real:?}"
            )),
        }
    }

    /// An event for payment `index`: the table decides, the store agrees.
    fn event(&mut self, index: u8, event: Event) -> Result<(), Mismatch> {
        if self.world.payments.is_empty() {
            return Ok(());
        }
        let i = usize::from(index) % self.world.payments.len();
        let p = &self.world.payments[i];
        let actor = event.actor();
        let facts = EdgeFacts {
            rules_hold: false,
            tries_left: p.attempts + 1 < TRIES_MAX,
            actor: actor.kind(),
            approver_listed: actor.may_decide(&[email(LISTED)]),
        };
        let expected = lookup(p.state, event.kind(), &facts).map(|e| e.to);
        let id = PaymentId::parse(&p.id).map_err(io)?;
        let real = self
            .payments()?
            .apply(&id, &event, self.now())
            .map_err(io)?;
        match (expected, real) {
            (Some(to), Ok(written)) => {
                let applied = written.durable_blocking().map_err(io)?;
                if applied.to != to {
                    return fail(format!(
                        "{event:?}: store went to {}, model to {to}",
                        applied.to
                    ));
                }
                self.world.enter(i, to, self.now_ms);
                Ok(())
            }
            (None, Err(_)) => Ok(()),
            (expected, real) => fail(format!(
                "{event:?} on {:?}: model {expected:?}, store {real:?}",
                p.state
            )),
        }
    }

    /// Business time moves on: due windows close, oldest first.
    fn advance(&mut self, minutes: i64) -> Result<(), Mismatch> {
        self.now_ms += minutes * 60_000;
        let mut due: Vec<(i64, String, usize, DeadlineKind)> = (0..self.world.payments.len())
            .filter_map(|i| {
                let p = &self.world.payments[i];
                let (kind, at) = p.deadline.filter(|(_, at)| *at <= self.now_ms)?;
                Some((at, p.id.clone(), i, kind))
            })
            .collect();
        due.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let closed = self
            .payments()?
            .close_due_windows(self.now(), usize::MAX)
            .map_err(io)?;
        if closed.len() != due.len() {
            return fail(format!(
                "{} windows closed, the model expected {}",
                closed.len(),
                due.len()
            ));
        }
        for (written, (_, id, i, _)) in closed.into_iter().zip(due) {
            let applied = written.durable_blocking().map_err(io)?;
            if applied.record.id.as_str() != id || applied.to != StateName::Expired {
                return fail(format!(
                    "window of {id}: the store closed {} into {}",
                    applied.record.id, applied.to
                ));
            }
            self.world.enter(i, StateName::Expired, self.now_ms);
        }
        Ok(())
    }

    /// An operator's assignment: the model says whether it is taken.
    fn assign(&mut self, tx: u8, payment: u8) -> Result<(), Mismatch> {
        if self.world.txs.is_empty() || self.world.payments.is_empty() {
            return Ok(());
        }
        let t = usize::from(tx) % self.world.txs.len();
        let i = usize::from(payment) % self.world.payments.len();
        let request = AssignRequest {
            store_id: self.store_id.clone(),
            trans_id: TransId::parse(&format!("t{}", self.world.txs[t].trans)).map_err(io)?,
            payment_id: PaymentId::parse(&self.world.payments[i].id).map_err(io)?,
            operator: Actor::Operator {
                by: Default::default(),
                ip: None,
            },
            note: None,
        };
        let real = self.payments()?.assign(&request, self.now()).map_err(io)?;
        let taken = self.world.assign(i, t, self.now_ms);
        match (taken, real) {
            (true, Ok(written)) => {
                let applied = written.durable_blocking().map_err(io)?;
                if applied.to != StateName::Crediting {
                    return fail(format!("assign went to {}", applied.to));
                }
                Ok(())
            }
            (false, Err(_)) => Ok(()),
            (model, real) => fail(format!(
                "assign t{} to {}: model {model}, store {:?}",
                self.world.txs[t].trans,
                request.payment_id,
                real.map(|w| w.into_value_unflushed().to)
            )),
        }
    }

    /// A claim that ends leaves its transaction to an operator: nothing
    /// is queued to match it again.
    fn nothing_rematches(&self) -> Result<(), Mismatch> {
        let queued = self
            .payments()?
            .due_outbox(Lane::Internal, Timestamp::MAX, 1)
            .map_err(io)?;
        if !queued.is_empty() {
            return fail(format!("the internal lane has work: {queued:?}"));
        }
        Ok(())
    }
}
