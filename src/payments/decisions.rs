//! Decisions people make about a payment: an approver's approve or reject
//! from an emailed link (at the version the link was issued for), and an
//! operator's actions. Each goes through the machine's own edges; where a
//! state has no edge for it, nothing changes and the caller is told why.

use jiff::Timestamp;

use super::transition::{Applied, NotApplied};
use super::{Payments, Written};
use crate::db::DbError;
use crate::domain::PaymentId;
use crate::machine::{Actor, ActorRule, Decision, EDGES, Event, EventKind, StateName};

/// What an operator can ask of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    Approve,
    Reject,
    /// Try the credit again (also closes the store's WHMCS breaker).
    Retry,
    /// The operator found the credit in WHMCS.
    MarkCredited,
}

impl OperatorAction {
    pub const ALL: [OperatorAction; 4] = [
        OperatorAction::Approve,
        OperatorAction::Reject,
        OperatorAction::Retry,
        OperatorAction::MarkCredited,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            OperatorAction::Approve => "approve",
            OperatorAction::Reject => "reject",
            OperatorAction::Retry => "retry",
            OperatorAction::MarkCredited => "mark_credited",
        }
    }

    pub fn parse(s: &str) -> Option<OperatorAction> {
        OperatorAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// What an operator may do to a payment in `state`: the actions the
    /// transition table has an operator's edge for (the console offers
    /// these; the machine still decides when one is sent).
    pub fn available_in(state: StateName) -> Vec<OperatorAction> {
        OperatorAction::ALL
            .into_iter()
            .filter(|action| {
                EDGES.iter().any(|e| {
                    e.from == state
                        && e.event == action.event_kind()
                        && matches!(
                            e.actors,
                            ActorRule::Operator | ActorRule::ApproverOrOperator
                        )
                })
            })
            .collect()
    }

    fn event_kind(self) -> EventKind {
        match self {
            OperatorAction::Approve => EventKind::Approve,
            OperatorAction::Reject => EventKind::Reject,
            OperatorAction::Retry => EventKind::Retry,
            OperatorAction::MarkCredited => EventKind::MarkCredited,
        }
    }

    fn event(self, decision: Decision) -> Event {
        match self {
            OperatorAction::Approve => Event::Approve(decision),
            OperatorAction::Reject => Event::Reject(decision),
            OperatorAction::Retry => Event::Retry(decision),
            OperatorAction::MarkCredited => Event::MarkCredited(decision),
        }
    }
}

impl Payments {
    /// An operator's action, by whoever `operator` says (an
    /// `Actor::Operator` naming the admin token or a store key), with an
    /// optional note for the audit trail. With `at_version`, only while the
    /// payment is still at that version (the console's forms carry the
    /// version their page showed, so a payment that moved on meanwhile is
    /// not decided blind).
    pub fn operator_action(
        &self,
        id: &PaymentId,
        action: OperatorAction,
        operator: Actor,
        note: Option<String>,
        now: Timestamp,
        at_version: Option<u64>,
    ) -> Result<Result<Written<Applied>, NotApplied>, DbError> {
        let event = action.event(Decision {
            actor: operator,
            note,
        });
        self.apply_at_version(id, &event, now, at_version)
    }

    /// An approver's decision from the page of a signed link: only while
    /// the payment is still at the `version` the link was issued for, so a
    /// decision is never made on a payment the approver did not see.
    pub fn approver_decision(
        &self,
        id: &PaymentId,
        version: u64,
        approve: bool,
        approver: Actor,
        note: Option<String>,
        now: Timestamp,
    ) -> Result<Result<Written<Applied>, NotApplied>, DbError> {
        let decision = Decision {
            actor: approver,
            note,
        };
        let event = if approve {
            Event::Approve(decision)
        } else {
            Event::Reject(decision)
        };
        self.apply_at_version(id, &event, now, Some(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_offered_exactly_the_table_s_operator_edges() {
        use OperatorAction as A;
        assert_eq!(
            OperatorAction::available_in(StateName::Held),
            vec![A::Approve, A::Reject]
        );
        assert_eq!(
            OperatorAction::available_in(StateName::CreditFailed),
            vec![A::Reject, A::Retry]
        );
        assert_eq!(
            OperatorAction::available_in(StateName::CreditUnknown),
            vec![A::Retry, A::MarkCredited]
        );
        for state in [
            StateName::Searching,
            StateName::Crediting,
            StateName::Credited,
        ] {
            assert!(OperatorAction::available_in(state).is_empty(), "{state}");
        }
    }
}
