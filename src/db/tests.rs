//! The persistence layer on a real sled folder: the counts kept beside the
//! indexes, and records written by older versions.

use std::sync::Arc;

use jiff::Timestamp;

use super::*;
use crate::domain::{PaymentId, TransId};
use crate::machine::{EventKind, HoldReason, StateName};

fn open(dir: &std::path::Path) -> Db {
    Db::open_with_retry(dir, &DbOptions::default(), Arc::new(Metrics::new())).unwrap()
}

fn t0() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

fn entry(id: &PaymentId, version: u64, effect: Effect) -> OutboxEntry {
    OutboxEntry::new(id.clone(), version, effect, t0(), t0())
}

#[test]
fn lane_counts_follow_every_queue_and_swap_and_old_folders_are_recounted() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let id = PaymentId::random().unwrap();
    let rematch = Effect::Rematch {
        trans_id: TransId::parse("t1").unwrap(),
    };
    let keys: Vec<OutboxKey> = db
        .write(|tx| {
            let a = tx.queue_outbox(&entry(&id, 2, Effect::AddCredit))?;
            let b = tx.queue_outbox(&entry(&id, 3, Effect::AddCredit))?;
            let c = tx.queue_outbox(&entry(&id, 3, rematch.clone()))?;
            Ok(vec![a, b, c])
        })
        .unwrap()
        .durable_blocking()
        .unwrap();
    assert_eq!(db.lane_count(Lane::Whmcs).unwrap(), 2);
    assert_eq!(db.lane_count(Lane::Internal).unwrap(), 1);
    assert_eq!(db.lane_count(Lane::Mail).unwrap(), 0);
    assert_eq!(db.oldest_due(Lane::Whmcs).unwrap(), Some(t0()));

    // In flight stays queued; done leaves the queue; a stale swap is refused.
    let queued = entry(&id, 2, Effect::AddCredit);
    let in_flight = OutboxEntry {
        status: OutboxStatus::InFlight,
        ..queued.clone()
    };
    let done = OutboxEntry {
        status: OutboxStatus::Done,
        ..in_flight.clone()
    };
    let swap = |before: &OutboxEntry, after: &OutboxEntry| {
        db.write(|tx| tx.swap_outbox(&keys[0], before, after))
            .unwrap()
            .durable_blocking()
            .unwrap()
    };
    assert!(swap(&queued, &in_flight));
    assert_eq!(db.lane_count(Lane::Whmcs).unwrap(), 2);
    assert!(!swap(&queued, &done), "a stale copy changes nothing");
    assert!(swap(&in_flight, &done));
    assert_eq!(db.lane_count(Lane::Whmcs).unwrap(), 1);
    assert_eq!(db.count_problems().unwrap(), Vec::<String>::new());

    forge::forget_counts(&db);
    assert!(!db.count_problems().unwrap().is_empty());
    db.close().unwrap();
    let db = open(dir.path());
    assert_eq!(db.lane_count(Lane::Whmcs).unwrap(), 1);
    assert_eq!(db.lane_count(Lane::Internal).unwrap(), 1);
    assert_eq!(db.count_problems().unwrap(), Vec::<String>::new());
}

#[test]
fn state_counts_are_recounted_for_old_folders_and_drift_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    assert_eq!(db.state_count(StateName::Searching).unwrap(), 0);
    forge::set_state_count(&db, StateName::Searching, 7);
    let problems = db.count_problems().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("7 searching payments counted, 0 indexed")),
        "{problems:?}"
    );
    forge::forget_counts(&db);
    db.close().unwrap();
    let db = open(dir.path());
    assert_eq!(db.state_count(StateName::Searching).unwrap(), 0);
    assert_eq!(db.count_problems().unwrap(), Vec::<String>::new());
}

#[test]
fn each_store_s_waiting_transactions_are_counted_and_old_folders_are_recounted() {
    use crate::domain::{Amount, StoreId};
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let (five, six) = (StoreId::parse("5").unwrap(), StoreId::parse("6").unwrap());
    let released = |store: &StoreId, trans_id: &str| TransactionRecord {
        awaiting_operator: Some(Released {
            at: t0(),
            from: PaymentId::random().unwrap(),
            ended_in: StateName::Rejected,
        }),
        ..TransactionRecord::new(
            store.clone(),
            TransId::parse(trans_id).unwrap(),
            None,
            Amount::parse("100").unwrap(),
            t0(),
            t0(),
        )
    };
    let put = |tx: &TransactionRecord| {
        db.write(|w| w.put_transaction(tx))
            .unwrap()
            .durable_blocking()
            .unwrap();
    };
    for (store, trans_id) in [(&five, "t1"), (&five, "t2"), (&six, "t3")] {
        put(&released(store, trans_id));
    }
    assert_eq!(db.store_awaiting_count(&five).unwrap(), 2);
    assert_eq!(db.store_awaiting_count(&six).unwrap(), 1);
    assert_eq!(db.awaiting_count().unwrap(), 3);
    // Assigned: it waits no more.
    let mut assigned = released(&five, "t1");
    assigned.awaiting_operator = None;
    assigned.claimed_by = Some(PaymentId::random().unwrap());
    put(&assigned);
    assert_eq!(db.store_awaiting_count(&five).unwrap(), 1);
    assert_eq!(db.count_problems().unwrap(), Vec::<String>::new());
    let page = db.awaiting_page(Some(&five), None, 10).unwrap().unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].trans_id.as_str(), "t2");

    forge::forget_counts(&db);
    let problems = db.count_problems().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("6 has 1 transactions waiting")),
        "{problems:?}"
    );
    db.close().unwrap();
    let db = open(dir.path());
    assert_eq!(db.store_awaiting_count(&five).unwrap(), 1);
    assert_eq!(db.store_awaiting_count(&six).unwrap(), 1);
    assert_eq!(db.count_problems().unwrap(), Vec::<String>::new());
}

#[test]
fn audit_entries_of_older_versions_read_their_hold_reasons_into_the_field() {
    let legacy = r#"{"payment_id":"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa","version":2,
        "at":"2026-01-01T00:00:00Z","event":"matched","actor":{"kind":"system"},
        "from":"searching","to":"held","reason":"new_phone,velocity",
        "intents":["claim_transaction","notify_approvers","set_deadline"]}"#;
    let entry: AuditEntry = serde_json::from_str(legacy).unwrap();
    let entry = entry.upgraded();
    assert_eq!(entry.event, AuditEvent::Machine(EventKind::Matched));
    assert_eq!(
        entry.hold_reasons,
        vec![HoldReason::NewPhone, HoldReason::Velocity]
    );
    assert_eq!(entry.reason, None);
    // A note that is not a list of reasons stays a note.
    let noted = legacy.replace("new_phone,velocity", "see ticket 7");
    let entry = serde_json::from_str::<AuditEntry>(&noted)
        .unwrap()
        .upgraded();
    assert!(entry.hold_reasons.is_empty());
    assert_eq!(entry.reason.as_deref(), Some("see ticket 7"));
    assert!(serde_json::from_str::<AuditEntry>(&legacy.replace("matched", "bogus")).is_err());
}

#[test]
fn payments_written_before_invoices_decode_without_one_and_settlements_round_trip() {
    use crate::domain::{Amount, ClientId, InvoiceId, Lang, Phone, StoreId};
    use crate::machine::State;
    let record = PaymentRecord {
        id: PaymentId::random().unwrap(),
        store_id: StoreId::parse("5").unwrap(),
        client_id: ClientId::try_from(42).unwrap(),
        phone: Phone::parse("01012345678").unwrap(),
        amount: Amount::parse("100").unwrap(),
        lang: Lang::En,
        created_at: t0(),
        updated_at: t0(),
        version: 1,
        state: State::Searching {},
        claim: None,
        deadline: None,
        credit_reported: false,
        invoice: None,
    };
    let mut old = serde_json::to_value(&record).unwrap();
    old.as_object_mut().unwrap().remove("invoice");
    assert_eq!(
        serde_json::from_value::<PaymentRecord>(old.clone()).unwrap(),
        record
    );
    let summary: PaymentSummary = serde_json::from_value(old).unwrap();
    assert_eq!(summary.invoice, None);

    let settled = PaymentRecord {
        invoice: Some(InvoiceSettlement {
            state: InvoiceState::Applied,
            applied_amount: Some("6.21".parse().unwrap()),
            tries: 1,
            attempt: Some(InvoiceAttempt {
                amount: "6.21".parse().unwrap(),
                credit_before: "0".parse().unwrap(),
                balance_before: "6.21".parse().unwrap(),
            }),
            ..InvoiceSettlement::pending(InvoiceId::try_from(1033).unwrap())
        }),
        ..record
    };
    let json = serde_json::to_value(&settled).unwrap();
    assert_eq!(json["invoice"]["state"], "applied");
    assert_eq!(json["invoice"]["id"], 1033);
    assert_eq!(
        serde_json::from_value::<PaymentRecord>(json).unwrap(),
        settled
    );
}
