//! Property test: random operations — checks, transactions, every event
//! with every kind of actor, and restarts (close the data folder, reopen the
//! folder, restore the machines) — applied to the real store and to a small
//! model driven by the transition table. After every step the two agree
//! and `Payments::verify` finds the invariants 1, 3, 4 and 5 of docs/design.md
//! intact.

use cashgate::domain::{Amount, ClientId, Email, Lang, PaymentId, Phone, StoreId, TransId};
use cashgate::machine::{
    Actor, ActorKind, Assignment, Decision, EdgeFacts, Event, EventKind, HoldReason, Machine,
    Match, StateName, lookup,
};
use cashgate::merchant::StoreSettings;
use cashgate::payments::{
    DbError, NewPayment, NotApplied, Payments, PaymentsOptions, TransactionRecord,
};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use rust_decimal::Decimal;

const TRIES_MAX: u32 = 3;
const LISTED: &str = "owner@example.com";
const TXS: u8 = 4;

#[derive(Debug, Clone)]
enum Who {
    System,
    Listed,
    Unlisted,
    Operator,
}

#[derive(Debug, Clone)]
enum Op {
    Create { client: u8 },
    AddTx { tx: u8 },
    Matched { payment: u8, tx: u8, hold: bool },
    Assign { payment: u8, tx: u8, who: Who },
    Timer { payment: u8, approval: bool },
    Decide { payment: u8, kind: u8, who: Who },
    Credit { payment: u8, outcome: u8 },
    Restart,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::System),
        Just(Who::Listed),
        Just(Who::Unlisted),
        Just(Who::Operator)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u8..4).prop_map(|client| Op::Create { client }),
        2 => (0..TXS).prop_map(|tx| Op::AddTx { tx }),
        3 => (any::<u8>(), 0..TXS, any::<bool>()).prop_map(|(payment, tx, hold)| Op::Matched { payment, tx, hold }),
        1 => (any::<u8>(), 0..TXS, who()).prop_map(|(payment, tx, who)| Op::Assign { payment, tx, who }),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(payment, approval)| Op::Timer { payment, approval }),
        3 => (any::<u8>(), 0u8..4, who()).prop_map(|(payment, kind, who)| Op::Decide { payment, kind, who }),
        3 => (any::<u8>(), 0u8..6).prop_map(|(payment, outcome)| Op::Credit { payment, outcome }),
        1 => Just(Op::Restart),
    ]
}

/// What the model knows of a payment.
#[derive(Debug, Clone)]
struct ModelPayment {
    id: PaymentId,
    state: StateName,
    attempts: u32,
    version: u64,
    claim: Option<u8>,
}

#[derive(Debug, Default)]
struct Model {
    payments: Vec<ModelPayment>,
    tx_added: [bool; TXS as usize],
    tx_claimed: [Option<usize>; TXS as usize],
    /// Released by a claim that ended: only an assignment may take it.
    tx_awaiting: [bool; TXS as usize],
}

fn t0() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

fn store_id() -> StoreId {
    StoreId::parse("5").unwrap()
}

fn trans_id(tx: u8) -> TransId {
    TransId::parse(&format!("01440000000{tx}")).unwrap()
}

fn open(dir: &std::path::Path) -> Payments {
    let options = PaymentsOptions {
        credit_tries_max: TRIES_MAX,
        ..PaymentsOptions::default()
    };
    Payments::open(dir, options).unwrap()
}

fn actor(who: &Who) -> Actor {
    match who {
        Who::System => Actor::System,
        Who::Listed => Actor::Approver {
            email: Email::parse(LISTED).unwrap(),
            ip: None,
            user_agent: None,
        },
        Who::Unlisted => Actor::Approver {
            email: Email::parse("x@example.com").unwrap(),
            ip: None,
            user_agent: None,
        },
        Who::Operator => Actor::Operator {
            by: cashgate::machine::OperatorName::Admin,
            ip: None,
        },
    }
}

fn event_of(op: &Op) -> Option<(u8, Event)> {
    let decision = |who: &Who| Decision {
        actor: actor(who),
        note: None,
    };
    Some(match op {
        Op::Matched { payment, tx, hold } => (
            *payment,
            Event::Matched(Match {
                trans_id: trans_id(*tx),
                credit_amount: Decimal::new(10000, 2),
                hold_reasons: if *hold {
                    vec![HoldReason::Velocity]
                } else {
                    vec![]
                },
                competing_clients: Vec::new(),
            }),
        ),
        Op::Assign { payment, tx, who } => (
            *payment,
            Event::Assign(Assignment {
                trans_id: trans_id(*tx),
                credit_amount: Decimal::new(10000, 2),
                decision: decision(who),
            }),
        ),
        Op::Timer { payment, approval } => (
            *payment,
            if *approval {
                Event::ApprovalWindowOver
            } else {
                Event::SearchWindowOver
            },
        ),
        Op::Decide { payment, kind, who } => (
            *payment,
            match kind {
                0 => Event::Approve(decision(who)),
                1 => Event::Reject(decision(who)),
                2 => Event::Retry(decision(who)),
                _ => Event::MarkCredited(decision(who)),
            },
        ),
        Op::Credit { payment, outcome } => (
            *payment,
            match outcome {
                0 => Event::CreditSucceeded,
                1 => Event::CreditTransientFailure {
                    reason: "refused".into(),
                    retry_at: t0(),
                },
                2 => Event::CreditPermanentFailure {
                    reason: "Authentication Failed".into(),
                },
                3 => Event::ReconciledFound,
                4 => Event::ReconciledAbsent,
                _ => Event::Unreconcilable {
                    reason: "GetCredits refused".into(),
                },
            },
        ),
        _ => return None,
    })
}

fn facts(p: &ModelPayment, event: &Event) -> EdgeFacts {
    let actor = event.actor();
    EdgeFacts {
        rules_hold: matches!(event, Event::Matched(m) if !m.hold_reasons.is_empty()),
        tries_left: p.attempts + 1 < TRIES_MAX,
        actor: actor.kind(),
        approver_listed: matches!(&actor, Actor::Approver { email, .. } if email.as_str() == LISTED),
    }
}

fn step(store: &Payments, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Create { client } => {
            let new = NewPayment {
                store_id: store_id(),
                client_id: ClientId::try_from(u32::from(*client) + 1).unwrap(),
                phone: Phone::parse("01012345678").unwrap(),
                amount: Amount::parse("100").unwrap(),
                lang: Lang::En,
                invoice: None,
            };
            let record = store
                .create_payment(&new, t0())
                .unwrap()
                .durable_blocking()
                .unwrap();
            model.payments.push(ModelPayment {
                id: record.id,
                state: StateName::Searching,
                attempts: 0,
                version: 1,
                claim: None,
            });
        }
        Op::AddTx { tx } if !model.tx_added[usize::from(*tx)] => {
            let record = TransactionRecord::new(
                store_id(),
                trans_id(*tx),
                Some(Phone::parse("01012345678").unwrap()),
                Amount::parse("100").unwrap(),
                t0(),
                t0(),
            );
            store
                .put_transaction(&record)
                .unwrap()
                .durable_blocking()
                .unwrap();
            model.tx_added[usize::from(*tx)] = true;
        }
        Op::AddTx { .. } | Op::Restart => {}
        _ => apply_event(store, model, op)?,
    }
    Ok(())
}

fn apply_event(store: &Payments, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let Some((index, event)) = event_of(op) else {
        return Ok(());
    };
    if model.payments.is_empty() {
        return Ok(());
    }
    let i = usize::from(index) % model.payments.len();
    let p = model.payments[i].clone();
    let expected = lookup(p.state, event.kind(), &facts(&p, &event));
    let tx = match op {
        Op::Matched { tx, .. } | Op::Assign { tx, .. } => Some(usize::from(*tx)),
        _ => None,
    };
    // A claim of a transaction that is missing or held elsewhere must fail
    // whole; so must a match (not an assignment) of one that waits for an
    // operator.
    let claims =
        expected.is_some_and(|e| matches!(e.event, EventKind::Matched | EventKind::Assign));
    let matched = expected.is_some_and(|e| e.event == EventKind::Matched);
    let claim_blocked = claims
        && tx.is_some_and(|t| {
            !model.tx_added[t] || model.tx_claimed[t].is_some() || (matched && model.tx_awaiting[t])
        });
    let result = store.apply(&p.id, &event, t0());
    if claim_blocked {
        prop_assert!(
            matches!(result, Err(DbError::Invariant(_))),
            "{op:?}: {result:?}"
        );
        return Ok(());
    }
    match (expected, result.unwrap()) {
        (Some(edge), Ok(written)) => {
            let applied = written.durable_blocking().unwrap();
            prop_assert_eq!(applied.to, edge.to);
            let m = &mut model.payments[i];
            m.attempts = match (edge.from, edge.to) {
                (StateName::Crediting, StateName::Crediting) => m.attempts + 1,
                _ => 0,
            };
            m.state = edge.to;
            m.version += 1;
            if let Some(t) = tx {
                m.claim = Some(t as u8);
                model.tx_claimed[t] = Some(i);
                model.tx_awaiting[t] = false;
            }
            if matches!(edge.to, StateName::Rejected | StateName::Expired)
                && let Some(t) = model.payments[i].claim
            {
                model.tx_claimed[usize::from(t)] = None;
                model.tx_awaiting[usize::from(t)] = true;
            }
        }
        (None, Err(NotApplied::Refused { state, .. })) => prop_assert_eq!(state, p.state),
        (expected, other) => prop_assert!(
            false,
            "{op:?} on {p:?}: table {expected:?}, store {other:?}"
        ),
    }
    Ok(())
}

fn check(store: &Payments, model: &Model) -> Result<(), TestCaseError> {
    let problems = store.verify().unwrap();
    prop_assert!(problems.is_empty(), "{problems:?}");
    for m in &model.payments {
        let record = store.payment(&m.id).unwrap().unwrap();
        prop_assert_eq!(record.state_name(), m.state);
        prop_assert_eq!(record.version, m.version);
        prop_assert!(
            Machine::restore(&record.state).is_ok(),
            "restore emits no effects"
        );
    }
    Ok(())
}

fn settings() -> StoreSettings {
    let mut s = StoreSettings::default();
    s.anti_spam.enabled = true;
    s.anti_spam.approvers = vec![Email::parse(LISTED).unwrap()];
    s.anti_spam.approval_window =
        cashgate::domain::Window::try_from(SignedDuration::from_hours(1)).unwrap();
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_events_and_restarts_keep_the_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(dir.path());
        store.stores().put(&store_id(), &settings()).unwrap().durable_blocking().unwrap();
        let mut model = Model::default();
        for op in &ops {
            if matches!(op, Op::Restart) {
                // A daemon-level reopen: flush and close, open the folder, and
                // from here on every machine is restored from what sled holds.
                store.close().unwrap();
                store = open(dir.path());
            }
            step(&store, &mut model, op)?;
            check(&store, &model)?;
        }
        store.close().unwrap();
    }
}

#[test]
fn actor_kinds_cover_the_table() {
    // The generator's actors reach every actor kind the table names.
    let kinds: Vec<ActorKind> = [Who::System, Who::Listed, Who::Unlisted, Who::Operator]
        .iter()
        .map(|w| actor(w).kind())
        .collect();
    for kind in [ActorKind::System, ActorKind::Approver, ActorKind::Operator] {
        assert!(kinds.contains(&kind));
    }
}
