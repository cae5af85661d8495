//! The machine against its table: every (state, event, actor) combination,
//! every edge taken, nothing else possible.

use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use super::*;
use crate::domain::{Email, TransId};

const TRIES_MAX: u32 = 3;
const LISTED: &str = "owner@example.com";

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

fn policy() -> Policy {
    Policy {
        approvers: vec![email(LISTED)],
        approval_window: SignedDuration::from_hours(48),
        credit_tries_max: TRIES_MAX,
    }
}

fn now() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

/// One sample of each state, and of `crediting` both with tries left and
/// with its last try used.
fn state_samples() -> Vec<State> {
    vec![
        State::Searching {},
        State::Held {
            reasons: vec![HoldReason::NewPhone],
        },
        State::Crediting { attempts: 0 },
        State::Crediting {
            attempts: TRIES_MAX - 1,
        },
        State::CreditFailed {
            reason: "Authentication Failed".into(),
        },
        State::CreditUnknown {
            reason: "timeout".into(),
        },
        State::Credited {},
        State::Rejected {},
        State::Expired {},
    ]
}

fn actors() -> Vec<Actor> {
    vec![
        Actor::System,
        Actor::Approver {
            email: email(&LISTED.to_uppercase()),
            ip: Some("192.0.2.1".into()),
            user_agent: None,
        },
        Actor::Approver {
            email: email("stranger@example.com"),
            ip: None,
            user_agent: None,
        },
        Actor::Operator {
            by: OperatorName::Admin,
            ip: None,
        },
    ]
}

fn matched(hold: bool) -> Event {
    Event::Matched(Match {
        trans_id: TransId::parse("014412345678").unwrap(),
        credit_amount: Decimal::new(198, 2),
        hold_reasons: if hold {
            vec![
                HoldReason::SharedPhone,
                HoldReason::NewPhone,
                HoldReason::NewPhone,
            ]
        } else {
            vec![]
        },
        competing_clients: Vec::new(),
    })
}

fn assign(actor: Actor) -> Event {
    Event::Assign(Assignment {
        trans_id: TransId::parse("014412345678").unwrap(),
        credit_amount: Decimal::new(198, 2),
        decision: Decision {
            actor,
            note: Some("the customer sent the receipt".into()),
        },
    })
}

/// Every event kind, with every actor for decisions and both guard values
/// for `matched`.
fn event_samples() -> Vec<Event> {
    let mut events = vec![
        matched(false),
        matched(true),
        Event::SearchWindowOver,
        Event::ApprovalWindowOver,
        Event::CreditSucceeded,
        Event::CreditTransientFailure {
            reason: "connection refused".into(),
            retry_at: now() + SignedDuration::from_secs(30),
        },
        Event::CreditPermanentFailure {
            reason: "Client ID Not Found".into(),
        },
        Event::ReconciledFound,
        Event::ReconciledAbsent,
        Event::Unreconcilable {
            reason: "GetCredits refused".into(),
        },
    ];
    for actor in actors() {
        events.push(assign(actor.clone()));
        let decision = Decision {
            actor,
            note: Some("checked".into()),
        };
        events.push(Event::Approve(decision.clone()));
        events.push(Event::Reject(decision.clone()));
        events.push(Event::Retry(decision.clone()));
        events.push(Event::MarkCredited(decision));
    }
    let kinds: HashSet<EventKind> = events.iter().map(Event::kind).collect();
    assert_eq!(
        kinds.len(),
        EventKind::ALL.len(),
        "a sample for every event kind"
    );
    events
}

fn facts(state: &State, event: &Event) -> EdgeFacts {
    let actor = event.actor();
    let approver_listed = matches!(&actor, Actor::Approver { email, .. } if email.as_str().eq_ignore_ascii_case(LISTED));
    let tries_left = match state {
        State::Crediting { attempts } => attempts + 1 < TRIES_MAX,
        _ => true,
    };
    EdgeFacts {
        rules_hold: matches!(event, Event::Matched(m) if !m.hold_reasons.is_empty()),
        tries_left,
        actor: actor.kind(),
        approver_listed,
    }
}

#[test]
fn every_state_event_pair_answers_as_the_table_says() {
    let mut taken: HashSet<(StateName, EventKind, StateName, Guard)> = HashSet::new();
    for state in state_samples() {
        for event in event_samples() {
            let mut machine = Machine::restore(&state).unwrap();
            let outcome = machine.handle(&event, now(), &policy()).unwrap();
            let expected = lookup(state.name(), event.kind(), &facts(&state, &event));
            match (expected, outcome) {
                (Some(edge), Handled::Transitioned(t)) => {
                    assert_eq!((t.from, t.to), (edge.from, edge.to), "{state:?} {event:?}");
                    let kinds: Vec<IntentKind> = t.intents.iter().map(Intent::kind).collect();
                    assert_eq!(kinds, edge.intents, "intents of {state:?} {event:?}");
                    assert_eq!(machine.state(), &t.state);
                    assert_eq!(t.state.name(), edge.to);
                    taken.insert((edge.from, edge.event, edge.to, edge.guard));
                }
                (None, Handled::Refused(refusal)) => {
                    assert_eq!(machine.state(), &state, "a refusal changes nothing");
                    if state.name().is_final() {
                        assert_eq!(refusal, Refusal::Final, "{state:?} {event:?}");
                    }
                }
                (expected, outcome) => {
                    panic!("{state:?} {event:?}: table says {expected:?}, machine did {outcome:?}")
                }
            }
        }
    }
    for edge in EDGES {
        assert!(
            taken.contains(&(edge.from, edge.event, edge.to, edge.guard)),
            "edge never taken: {edge:?}"
        );
    }
}

#[test]
fn final_states_absorb_every_event() {
    for state in state_samples().into_iter().filter(|s| s.name().is_final()) {
        for event in event_samples() {
            let mut machine = Machine::restore(&state).unwrap();
            let outcome = machine.handle(&event, now(), &policy()).unwrap();
            assert_eq!(outcome, Handled::Refused(Refusal::Final));
            assert_eq!(machine.state(), &state);
        }
    }
}

#[test]
fn restoring_any_state_gives_it_back_without_effects() {
    for state in state_samples() {
        let machine = Machine::restore(&state).unwrap();
        assert_eq!(machine.state(), &state);
    }
    assert_eq!(Machine::new().state(), &State::Searching {});
}

#[test]
fn unlisted_approvers_and_the_system_cannot_decide() {
    let held = State::Held {
        reasons: vec![HoldReason::LargeAmount],
    };
    for actor in [
        Actor::System,
        Actor::Approver {
            email: email("stranger@example.com"),
            ip: None,
            user_agent: None,
        },
    ] {
        let mut machine = Machine::restore(&held).unwrap();
        let approve = Event::Approve(Decision { actor, note: None });
        let outcome = machine.handle(&approve, now(), &policy()).unwrap();
        assert_eq!(outcome, Handled::Refused(Refusal::ActorNotAllowed));
    }
}

#[test]
fn held_payments_record_sorted_reasons_and_the_approval_deadline() {
    let mut machine = Machine::new();
    let outcome = machine.handle(&matched(true), now(), &policy()).unwrap();
    let Handled::Transitioned(t) = outcome else {
        panic!("matched must transition");
    };
    assert_eq!(
        t.state,
        State::Held {
            reasons: vec![HoldReason::NewPhone, HoldReason::SharedPhone]
        }
    );
    assert!(t.intents.contains(&Intent::SetDeadline {
        kind: DeadlineKind::Approval,
        at: now() + SignedDuration::from_hours(48),
    }));
}

#[test]
fn only_an_operator_assigns_a_transaction_and_it_is_credited_without_a_hold() {
    for actor in actors() {
        let mut machine = Machine::new();
        let operator = matches!(actor, Actor::Operator { .. });
        let outcome = machine.handle(&assign(actor), now(), &policy()).unwrap();
        if !operator {
            assert_eq!(outcome, Handled::Refused(Refusal::ActorNotAllowed));
            continue;
        }
        let Handled::Transitioned(t) = outcome else {
            panic!("an operator's assignment transitions");
        };
        assert_eq!(t.state, State::Crediting { attempts: 0 });
        assert_eq!(
            t.intents.iter().map(Intent::kind).collect::<Vec<_>>(),
            vec![IntentKind::ClaimTransaction, IntentKind::SendAddCredit]
        );
    }
}

#[test]
fn transient_failures_back_off_until_the_tries_run_out() {
    let mut machine = Machine::restore(&State::Crediting { attempts: 0 }).unwrap();
    let retry_at = now() + SignedDuration::from_secs(30);
    let failure = Event::CreditTransientFailure {
        reason: "connection refused".into(),
        retry_at,
    };
    let first = machine.handle(&failure, now(), &policy()).unwrap();
    let Handled::Transitioned(t) = first else {
        panic!("a try is left");
    };
    assert_eq!(t.state, State::Crediting { attempts: 1 });
    assert_eq!(
        t.intents,
        vec![Intent::SendAddCredit {
            not_before: retry_at
        }]
    );
    machine.handle(&failure, now(), &policy()).unwrap();
    let last = machine.handle(&failure, now(), &policy()).unwrap();
    let Handled::Transitioned(t) = last else {
        panic!("the last try fails the payment");
    };
    assert_eq!(t.to, StateName::CreditFailed);
    assert!(t.intents.is_empty());
}
