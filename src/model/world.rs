//! The model: what the store should hold after each operation, computed
//! from the transition table and plain lists — no sled, no indexes.

use crate::machine::{
    ActorKind, DeadlineKind, EdgeFacts, EventKind, HoldReason, StateName, lookup,
};

/// Settings the harness gives its store, which the model mirrors.
pub const TRIES_MAX: u32 = 3;
pub const SEARCH_WINDOW_MS: i64 = 30 * 60 * 1000;
pub const APPROVAL_WINDOW_MS: i64 = 60 * 60 * 1000;
/// The default claim rules: a check this much before the transfer is
/// still after it; a transfer this far ahead is a misread date.
pub const GRACE_MS: i64 = 5 * 60 * 1000;
pub const SKEW_MAX_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Clone)]
pub struct MTx {
    pub trans: u8,
    pub phone: u8,
    pub amount: u8,
    pub received_ms: i64,
    pub claimed_by: Option<usize>,
    pub credited_to: Option<usize>,
    /// Its claim ended: it waits for an operator, nothing matches it.
    pub awaiting: bool,
}

impl MTx {
    pub fn claimable(&self) -> bool {
        self.assignable() && !self.awaiting
    }

    pub fn assignable(&self) -> bool {
        self.claimed_by.is_none() && self.credited_to.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct MPay {
    /// The real payment's id, for ordering ties like the store's indexes.
    pub id: String,
    pub client: u8,
    pub phone: u8,
    pub amount: u8,
    pub created_ms: i64,
    pub state: StateName,
    pub attempts: u32,
    pub version: u64,
    /// Index into `World::txs`.
    pub claim: Option<usize>,
    pub reported: bool,
    pub deadline: Option<(DeadlineKind, i64)>,
    /// Why the match held it (while held), and whom a contested hold named.
    pub reasons: Vec<HoldReason>,
    pub competing: Vec<u8>,
}

/// What a check should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    Repeat {
        payment: usize,
        newly_reported: bool,
    },
    /// A repeat that claimed a transaction freed meanwhile.
    RepeatMatched {
        payment: usize,
    },
    New,
}

#[derive(Debug, Default)]
pub struct World {
    pub txs: Vec<MTx>,
    pub payments: Vec<MPay>,
    /// (phone, client) pairs credited before: `new_phone` does not fire.
    pub bindings: Vec<(u8, u8)>,
    /// Every state some payment has been in (coverage, for tests).
    pub visited: std::collections::BTreeSet<StateName>,
    /// Every hold reason some match gave (coverage, for tests).
    pub reasons_seen: std::collections::BTreeSet<HoldReason>,
}

impl World {
    pub fn owns_check(p: &MPay) -> bool {
        !p.state.is_final() || (p.state == StateName::Credited && !p.reported)
    }

    /// The payment an identical check finds, and what it does to it.
    pub fn check_kind(&self, client: u8, phone: u8, amount: u8) -> CheckKind {
        let open = self.payments.iter().position(|p| {
            (p.client, p.phone, p.amount) == (client, phone, amount) && World::owns_check(p)
        });
        let Some(i) = open else { return CheckKind::New };
        let p = &self.payments[i];
        if p.state == StateName::Credited {
            return CheckKind::Repeat {
                payment: i,
                newly_reported: true,
            };
        }
        if p.state == StateName::Searching && self.oldest_unclaimed(phone, amount).is_some() {
            return CheckKind::RepeatMatched { payment: i };
        }
        CheckKind::Repeat {
            payment: i,
            newly_reported: false,
        }
    }

    /// The oldest transaction no payment holds, with this phone and amount.
    pub fn oldest_unclaimed(&self, phone: u8, amount: u8) -> Option<usize> {
        (0..self.txs.len())
            .filter(|t| {
                let tx = &self.txs[*t];
                (tx.phone, tx.amount) == (phone, amount) && tx.claimable()
            })
            .min_by_key(|t| (self.txs[*t].received_ms, format!("t{}", self.txs[*t].trans)))
    }

    /// The `searching` payments with this phone and amount, oldest first.
    pub fn waiting(&self, phone: u8, amount: u8) -> Vec<usize> {
        let mut waiting: Vec<usize> = (0..self.payments.len())
            .filter(|i| {
                let p = &self.payments[*i];
                (p.phone, p.amount) == (phone, amount) && p.state == StateName::Searching
            })
            .collect();
        waiting.sort_by(|a, b| {
            let (a, b) = (&self.payments[*a], &self.payments[*b]);
            (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id))
        });
        waiting
    }

    /// The oldest `searching` payment with this phone and amount.
    pub fn oldest_waiting(&self, phone: u8, amount: u8) -> Option<usize> {
        self.waiting(phone, amount).first().copied()
    }

    /// Why payment `i`'s claim of transaction `t` is held: a new phone for
    /// its client (the harness's store rule), other clients waiting for
    /// the same transfer, a check staked before the transfer.
    pub fn hold_reasons(&self, i: usize, t: usize) -> (Vec<HoldReason>, Vec<u8>) {
        let p = &self.payments[i];
        let mut reasons = Vec::new();
        if !self.bindings.contains(&(p.phone, p.client)) {
            reasons.push(HoldReason::NewPhone);
        }
        let competing: Vec<u8> = self
            .waiting(p.phone, p.amount)
            .into_iter()
            .filter(|j| *j != i)
            .map(|j| self.payments[j].client)
            .collect();
        if !competing.is_empty() {
            reasons.push(HoldReason::Contested);
        }
        if p.created_ms < self.txs[t].received_ms - GRACE_MS {
            reasons.push(HoldReason::CheckedBeforeTransfer);
        }
        (reasons, competing)
    }

    /// Payment `i` claims transaction `t` (`matched`), held when a rule says.
    pub fn claim(&mut self, i: usize, t: usize, now_ms: i64) {
        let (reasons, competing) = self.hold_reasons(i, t);
        let p = &self.payments[i];
        let facts = EdgeFacts {
            rules_hold: !reasons.is_empty(),
            tries_left: true,
            actor: ActorKind::System,
            approver_listed: false,
        };
        let to = lookup(p.state, EventKind::Matched, &facts).map(|e| e.to);
        if let Some(to) = to {
            self.txs[t].claimed_by = Some(i);
            let p = &mut self.payments[i];
            p.claim = Some(t);
            self.enter(i, to, now_ms);
            if to == StateName::Held {
                self.reasons_seen.extend(reasons.iter().copied());
                let p = &mut self.payments[i];
                p.reasons = reasons;
                p.competing = if p.reasons.contains(&HoldReason::Contested) {
                    competing
                } else {
                    Vec::new()
                };
            }
        }
    }

    /// An operator assigns transaction `t` to payment `i`: taken when the
    /// transaction is free, the payment searching, and the amounts equal.
    pub fn assign(&mut self, i: usize, t: usize, now_ms: i64) -> bool {
        let p = &self.payments[i];
        let tx = &self.txs[t];
        if !tx.assignable() || p.state != StateName::Searching || p.amount != tx.amount {
            return false;
        }
        self.txs[t].claimed_by = Some(i);
        self.txs[t].awaiting = false;
        self.payments[i].claim = Some(t);
        self.enter(i, StateName::Crediting, now_ms);
        true
    }

    /// Moves payment `i` to `to` with the storage effects of the edge.
    pub fn enter(&mut self, i: usize, to: StateName, now_ms: i64) -> Option<usize> {
        let from = self.payments[i].state;
        let p = &mut self.payments[i];
        p.attempts = if from == StateName::Crediting && to == StateName::Crediting {
            p.attempts + 1
        } else {
            0
        };
        p.state = to;
        p.version += 1;
        p.reasons.clear();
        p.competing.clear();
        self.visited.insert(to);
        p.deadline = (to == StateName::Held)
            .then_some((DeadlineKind::Approval, now_ms + APPROVAL_WINDOW_MS));
        let claim = p.claim;
        match to {
            StateName::Credited => {
                if let Some(t) = claim {
                    self.txs[t].credited_to = Some(i);
                }
                let p = &self.payments[i];
                if !self.bindings.contains(&(p.phone, p.client)) {
                    self.bindings.push((p.phone, p.client));
                }
                None
            }
            StateName::Rejected | StateName::Expired => {
                let t = claim?;
                // Released: the transaction waits for an operator.
                (self.txs[t].claimed_by == Some(i)).then(|| {
                    self.txs[t].claimed_by = None;
                    self.txs[t].awaiting = true;
                    t
                })
            }
            _ => None,
        }
    }
}
