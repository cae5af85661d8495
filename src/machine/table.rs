//! The transition table as data: every edge of the payment machine, with
//! its guard, who may cause it and the intents it records. The diagram in
//! `state-diagrams/` is drawn from it, the machine checks every edge it
//! takes against it, and a test walks every (state, event) pair to prove
//! the machine and this table agree.

use super::event::{ActorKind, EventKind};
use super::intent::IntentKind;
use super::state::StateName;

/// A condition on the event's data or the state's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guard {
    Always,
    /// Anti-spam found no reason to hold.
    RulesPass,
    /// Anti-spam found at least one reason to hold.
    RulesHold,
    /// Another AddCredit try is allowed.
    TriesLeft,
    /// The failed tries reached the store's maximum.
    TriesExhausted,
}

/// Who may cause an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorRule {
    System,
    /// An approver listed in the store's settings, or an operator.
    ApproverOrOperator,
    Operator,
}

/// What decides which edge an event takes: the guard's inputs and the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeFacts {
    pub rules_hold: bool,
    pub tries_left: bool,
    pub actor: ActorKind,
    /// For an approver: whether the store lists them.
    pub approver_listed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: StateName,
    pub event: EventKind,
    pub guard: Guard,
    pub actors: ActorRule,
    pub to: StateName,
    pub intents: &'static [IntentKind],
}

use ActorRule as A;
use EventKind as E;
use Guard as G;
use IntentKind as I;
use StateName as S;

const fn edge(
    from: StateName,
    event: EventKind,
    guard: Guard,
    actors: ActorRule,
    to: StateName,
    intents: &'static [IntentKind],
) -> Edge {
    Edge {
        from,
        event,
        guard,
        actors,
        to,
        intents,
    }
}

/// Every edge of the machine, in the order docs/design.md lists them (and
/// the operator's `assign`, after the edges `matched` takes).
pub const EDGES: &[Edge] = &[
    edge(
        S::Searching,
        E::Matched,
        G::RulesPass,
        A::System,
        S::Crediting,
        &[I::ClaimTransaction, I::SendAddCredit],
    ),
    edge(
        S::Searching,
        E::Matched,
        G::RulesHold,
        A::System,
        S::Held,
        &[I::ClaimTransaction, I::NotifyApprovers, I::SetDeadline],
    ),
    edge(
        S::Searching,
        E::Assign,
        G::Always,
        A::Operator,
        S::Crediting,
        &[I::ClaimTransaction, I::SendAddCredit],
    ),
    edge(
        S::Searching,
        E::SearchWindowOver,
        G::Always,
        A::System,
        S::Expired,
        &[],
    ),
    edge(
        S::Held,
        E::Approve,
        G::Always,
        A::ApproverOrOperator,
        S::Crediting,
        &[I::SendAddCredit],
    ),
    edge(
        S::Held,
        E::Reject,
        G::Always,
        A::ApproverOrOperator,
        S::Rejected,
        &[I::ReleaseTransaction],
    ),
    edge(
        S::Held,
        E::ApprovalWindowOver,
        G::Always,
        A::System,
        S::Expired,
        &[I::ReleaseTransaction],
    ),
    edge(
        S::Crediting,
        E::CreditSucceeded,
        G::Always,
        A::System,
        S::Credited,
        &[I::SettleTransaction],
    ),
    edge(
        S::Crediting,
        E::CreditTransientFailure,
        G::TriesLeft,
        A::System,
        S::Crediting,
        &[I::SendAddCredit],
    ),
    edge(
        S::Crediting,
        E::ReconciledFound,
        G::Always,
        A::System,
        S::Credited,
        &[I::SettleTransaction],
    ),
    edge(
        S::Crediting,
        E::ReconciledAbsent,
        G::TriesLeft,
        A::System,
        S::Crediting,
        &[I::SendAddCredit],
    ),
    edge(
        S::Crediting,
        E::Unreconcilable,
        G::Always,
        A::System,
        S::CreditUnknown,
        &[],
    ),
    edge(
        S::Crediting,
        E::CreditPermanentFailure,
        G::Always,
        A::System,
        S::CreditFailed,
        &[],
    ),
    edge(
        S::Crediting,
        E::CreditTransientFailure,
        G::TriesExhausted,
        A::System,
        S::CreditFailed,
        &[],
    ),
    edge(
        S::Crediting,
        E::ReconciledAbsent,
        G::TriesExhausted,
        A::System,
        S::CreditFailed,
        &[],
    ),
    edge(
        S::CreditFailed,
        E::Retry,
        G::Always,
        A::Operator,
        S::Crediting,
        &[I::ResetBreaker, I::SendAddCredit],
    ),
    edge(
        S::CreditFailed,
        E::Reject,
        G::Always,
        A::Operator,
        S::Rejected,
        &[I::ReleaseTransaction],
    ),
    edge(
        S::CreditUnknown,
        E::MarkCredited,
        G::Always,
        A::Operator,
        S::Credited,
        &[I::SettleTransaction],
    ),
    edge(
        S::CreditUnknown,
        E::Retry,
        G::Always,
        A::Operator,
        S::Crediting,
        &[I::ResetBreaker, I::SendAddCredit],
    ),
];

impl Guard {
    pub fn holds(&self, facts: &EdgeFacts) -> bool {
        match self {
            Guard::Always => true,
            Guard::RulesPass => !facts.rules_hold,
            Guard::RulesHold => facts.rules_hold,
            Guard::TriesLeft => facts.tries_left,
            Guard::TriesExhausted => !facts.tries_left,
        }
    }

    pub fn label(&self) -> Option<&'static str> {
        match self {
            Guard::Always => None,
            Guard::RulesPass => Some("rules pass"),
            Guard::RulesHold => Some("rules hold"),
            Guard::TriesLeft => Some("tries left"),
            Guard::TriesExhausted => Some("tries exhausted"),
        }
    }
}

impl ActorRule {
    pub fn allows(&self, facts: &EdgeFacts) -> bool {
        match (self, facts.actor) {
            (ActorRule::System, ActorKind::System) => true,
            (ActorRule::ApproverOrOperator, ActorKind::Approver) => facts.approver_listed,
            (ActorRule::ApproverOrOperator | ActorRule::Operator, ActorKind::Operator) => true,
            _ => false,
        }
    }

    pub fn label(&self) -> Option<&'static str> {
        match self {
            ActorRule::System => None,
            ActorRule::ApproverOrOperator => Some("approver or operator"),
            ActorRule::Operator => Some("operator"),
        }
    }
}

impl Edge {
    /// The diagram's label: `event [guard] (who) / intents`.
    pub fn label(&self) -> String {
        let mut label = self.event.as_str().to_owned();
        if let Some(guard) = self.guard.label() {
            label.push_str(&format!(" [{guard}]"));
        }
        if let Some(who) = self.actors.label() {
            label.push_str(&format!(" ({who})"));
        }
        if !self.intents.is_empty() {
            let intents: Vec<&str> = self.intents.iter().map(IntentKind::as_str).collect();
            label.push_str(" / ");
            label.push_str(&intents.join(", "));
        }
        label
    }
}

/// The edge an event takes from a state under the given facts, if any.
pub fn lookup(from: StateName, event: EventKind, facts: &EdgeFacts) -> Option<&'static Edge> {
    EDGES.iter().find(|e| {
        e.from == from && e.event == event && e.guard.holds(facts) && e.actors.allows(facts)
    })
}

/// Whether the table has an edge `from --event--> to` under any facts.
pub fn has_edge(from: StateName, event: EventKind, to: StateName) -> bool {
    EDGES
        .iter()
        .any(|e| e.from == from && e.event == event && e.to == to)
}
