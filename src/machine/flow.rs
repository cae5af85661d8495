//! The statig machine itself: one `impl` block, one function per state.
//! Handlers are pure: they read the event, the state's own data and the
//! context's policy, push intents into the context and return the next
//! state. Each state's rustdoc lists its edges, as `table.rs` does.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use statig::prelude::*;

use super::event::{Actor, Assignment, Decision, Event};
use super::intent::{DeadlineKind, Intent};
use super::policy::{Policy, Refusal};
use super::state::{HoldReason, StateName};

/// The machine's shared storage: empty, because a payment's data lives in
/// its record and the store's settings come in through the context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFlow;

/// What a handler may read (time, store policy) and where it records what
/// it decided (intents, a refusal, the edge taken).
#[derive(Debug)]
pub struct Ctx {
    pub now: Timestamp,
    pub policy: Policy,
    pub intents: Vec<Intent>,
    pub refusal: Option<Refusal>,
    pub taken: Option<(StateName, StateName)>,
}

impl Ctx {
    pub fn new(now: Timestamp, policy: Policy) -> Ctx {
        Ctx {
            now,
            policy,
            intents: Vec::new(),
            refusal: None,
            taken: None,
        }
    }

    fn push(&mut self, intent: Intent) {
        self.intents.push(intent);
    }

    /// Refuses the event: nothing changes.
    fn refuse(&mut self, refusal: Refusal) -> Outcome<State> {
        self.refusal = Some(refusal);
        Handled
    }

    fn add_credit_now(&mut self) {
        let now = self.now;
        self.push(Intent::SendAddCredit { not_before: now });
    }

    /// The next try of a failed credit: counted, and bounded by the policy.
    fn next_try(&mut self, attempts: u32, not_before: Timestamp, why: &str) -> Outcome<State> {
        let tried = attempts.saturating_add(1);
        if tried < self.policy.credit_tries_max {
            self.push(Intent::SendAddCredit { not_before });
            Transition(State::crediting(tried))
        } else {
            Transition(State::credit_failed(format!(
                "gave up after {tried} tries: {why}"
            )))
        }
    }

    fn is_operator(actor: &Actor) -> bool {
        matches!(actor, Actor::Operator { .. })
    }

    /// An operator, or an approver listed in the store's settings.
    fn may_decide(&self, actor: &Actor) -> bool {
        actor.may_decide(&self.policy.approvers)
    }
}

#[state_machine(
    initial = "State::searching()",
    state(derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)),
    superstate(derive(Debug)),
    after_transition = "Self::after_transition"
)]
impl PaymentFlow {
    /// A check arrived; no transaction matched yet.
    /// - `matched`, rules pass => `crediting` (claim tx, AddCredit)
    /// - `matched`, rules hold => `held` (claim tx, email approvers, deadline)
    /// - `assign` (operator) => `crediting` (claim tx, AddCredit)
    /// - `search_window_over` => `expired`
    #[state]
    fn searching(context: &mut Ctx, event: &Event) -> Outcome<State> {
        match event {
            Event::Matched(m) => {
                context.push(Intent::ClaimTransaction {
                    trans_id: m.trans_id.clone(),
                    credit_amount: m.credit_amount,
                });
                if m.hold_reasons.is_empty() {
                    context.add_credit_now();
                    return Transition(State::crediting(0));
                }
                let mut reasons = m.hold_reasons.clone();
                reasons.sort();
                reasons.dedup();
                context.push(Intent::NotifyApprovers {
                    reasons: reasons.clone(),
                });
                let at = context.now.saturating_add(context.policy.approval_window);
                let at = at.unwrap_or(Timestamp::MAX);
                context.push(Intent::SetDeadline {
                    kind: DeadlineKind::Approval,
                    at,
                });
                Transition(State::held(reasons))
            }
            // An operator's assignment is a human decision: no rule holds it.
            Event::Assign(Assignment {
                trans_id,
                credit_amount,
                decision,
            }) if Ctx::is_operator(&decision.actor) => {
                context.push(Intent::ClaimTransaction {
                    trans_id: trans_id.clone(),
                    credit_amount: *credit_amount,
                });
                context.add_credit_now();
                Transition(State::crediting(0))
            }
            Event::Assign(_) => context.refuse(Refusal::ActorNotAllowed),
            Event::SearchWindowOver => Transition(State::expired()),
            _ => Super,
        }
    }

    /// Matched, but a rule held it for an approver.
    /// - `approve` (listed approver or operator) => `crediting` (AddCredit)
    /// - `reject` (listed approver or operator) => `rejected` (release tx to an operator)
    /// - `approval_window_over` => `expired` (release tx to an operator)
    #[state]
    #[allow(clippy::ptr_arg)] // statig hands state-local data over by reference to the field
    fn held(reasons: &Vec<HoldReason>, context: &mut Ctx, event: &Event) -> Outcome<State> {
        let _ = reasons;
        match event {
            Event::Approve(Decision { actor, .. }) if context.may_decide(actor) => {
                context.add_credit_now();
                Transition(State::crediting(0))
            }
            Event::Reject(Decision { actor, .. }) if context.may_decide(actor) => {
                context.push(Intent::ReleaseTransaction);
                Transition(State::rejected())
            }
            Event::Approve(_) | Event::Reject(_) => context.refuse(Refusal::ActorNotAllowed),
            Event::ApprovalWindowOver => {
                context.push(Intent::ReleaseTransaction);
                Transition(State::expired())
            }
            _ => Super,
        }
    }

    /// The AddCredit call is queued or in flight; `attempts` counts the
    /// tries that failed so far.
    /// - `credit_succeeded` / `reconciled_found` => `credited` (settle tx)
    /// - `credit_transient_failure`, tries left => `crediting` (AddCredit later)
    /// - `reconciled_absent`, tries left => `crediting` (AddCredit)
    /// - either of those, tries exhausted => `credit_failed`
    /// - `credit_permanent_failure` => `credit_failed`
    /// - `unreconcilable` => `credit_unknown`
    #[state]
    fn crediting(attempts: &u32, context: &mut Ctx, event: &Event) -> Outcome<State> {
        match event {
            Event::CreditSucceeded | Event::ReconciledFound => {
                context.push(Intent::SettleTransaction);
                Transition(State::credited())
            }
            Event::CreditTransientFailure { reason, retry_at } => {
                context.next_try(*attempts, *retry_at, reason)
            }
            Event::ReconciledAbsent => {
                let now = context.now;
                context.next_try(*attempts, now, "outcome unknown, not in WHMCS")
            }
            Event::CreditPermanentFailure { reason } => {
                Transition(State::credit_failed(reason.clone()))
            }
            Event::Unreconcilable { reason } => Transition(State::credit_unknown(reason.clone())),
            _ => Super,
        }
    }

    /// WHMCS refused for a reason a human must fix, or tries ran out.
    /// - `retry` (operator) => `crediting` (AddCredit), via `needs_operator`
    /// - `reject` (operator) => `rejected` (release tx to an operator)
    #[state(superstate = "needs_operator")]
    fn credit_failed(reason: &String, context: &mut Ctx, event: &Event) -> Outcome<State> {
        let _ = reason;
        match event {
            Event::Reject(Decision { actor, .. }) if Ctx::is_operator(actor) => {
                context.push(Intent::ReleaseTransaction);
                Transition(State::rejected())
            }
            Event::Reject(_) => context.refuse(Refusal::ActorNotAllowed),
            _ => Super,
        }
    }

    /// An attempt's outcome is unknown and GetCredits could not settle it.
    /// - `retry` (operator: not in WHMCS) => `crediting` (AddCredit), via `needs_operator`
    /// - `mark_credited` (operator) => `credited` (settle tx)
    #[state(superstate = "needs_operator")]
    fn credit_unknown(reason: &String, context: &mut Ctx, event: &Event) -> Outcome<State> {
        let _ = reason;
        match event {
            Event::MarkCredited(Decision { actor, .. }) if Ctx::is_operator(actor) => {
                context.push(Intent::SettleTransaction);
                Transition(State::credited())
            }
            Event::MarkCredited(_) => context.refuse(Refusal::ActorNotAllowed),
            _ => Super,
        }
    }

    /// States that wait for an operator share the retry edge.
    /// - `retry` (operator) => `crediting` (reset the store's breaker, AddCredit)
    #[superstate]
    fn needs_operator(context: &mut Ctx, event: &Event) -> Outcome<State> {
        match event {
            Event::Retry(Decision { actor, .. }) if Ctx::is_operator(actor) => {
                context.push(Intent::ResetBreaker);
                context.add_credit_now();
                Transition(State::crediting(0))
            }
            Event::Retry(_) => context.refuse(Refusal::ActorNotAllowed),
            _ => Super,
        }
    }

    /// WHMCS confirmed the credit. Final.
    #[state(superstate = "final_states")]
    fn credited(event: &Event) -> Outcome<State> {
        let _ = event;
        Super
    }

    /// An approver or operator rejected it. Final.
    #[state(superstate = "final_states")]
    fn rejected(event: &Event) -> Outcome<State> {
        let _ = event;
        Super
    }

    /// No transaction in the search window, or no decision in the approval
    /// window. Final.
    #[state(superstate = "final_states")]
    fn expired(event: &Event) -> Outcome<State> {
        let _ = event;
        Super
    }

    /// Final states absorb every event: refused, nothing changes.
    #[superstate]
    fn final_states(context: &mut Ctx) -> Outcome<State> {
        context.refuse(Refusal::Final)
    }
}

impl PaymentFlow {
    fn after_transition(&mut self, source: &State, target: &State, context: &mut Ctx) {
        context.taken = Some((source.name(), target.name()));
    }
}

impl State {
    /// The API name of this state.
    pub fn name(&self) -> StateName {
        match self {
            State::Searching { .. } => StateName::Searching,
            State::Held { .. } => StateName::Held,
            State::Crediting { .. } => StateName::Crediting,
            State::CreditFailed { .. } => StateName::CreditFailed,
            State::CreditUnknown { .. } => StateName::CreditUnknown,
            State::Credited { .. } => StateName::Credited,
            State::Rejected { .. } => StateName::Rejected,
            State::Expired { .. } => StateName::Expired,
        }
    }
}
