//! Retention on a real sled folder: what the sweep removes and what it
//! keeps, in bounded batches, with `verify` clean after; and the one-time
//! pass that gives an older folder the retention index and waiting counts.

use jiff::{SignedDuration, Timestamp};

use super::tests::{new_payment, open, setup, store_id, t0, transaction};
use super::*;
use crate::domain::Phone;
use crate::machine::{Actor, Decision, Event, StateName};

const DAY: i64 = 24;

fn days(n: i64) -> Timestamp {
    t0() + SignedDuration::from_hours(n * DAY)
}

fn retention(batch_max: usize) -> Retention {
    Retention {
        keep: SignedDuration::from_hours(30 * DAY),
        batch_max,
    }
}

fn sweep(store: &Payments, batch_max: usize, now: Timestamp) -> Swept {
    store
        .sweep(&retention(batch_max), now)
        .unwrap()
        .durable_blocking()
        .unwrap()
}

fn check(store: &Payments, client: u32, amount: &str, at: Timestamp) -> PaymentRecord {
    let mut new = new_payment(client);
    new.amount = crate::domain::Amount::parse(amount).unwrap();
    store
        .check(&new, at)
        .unwrap()
        .durable_blocking()
        .unwrap()
        .record()
        .clone()
}

fn close_windows(store: &Payments, now: Timestamp) {
    for written in store.close_due_windows(now, 1000).unwrap() {
        written.durable_blocking().unwrap();
    }
}

fn quarantine(store: &Payments, at: Timestamp) {
    let entry = QuarantineEntry {
        id: 0,
        at,
        store_id: store_id(),
        reason: QuarantineReason::NotAPayment,
        detail: "a promotion".into(),
        from: Some("VF-Cash".into()),
        text: "offer".into(),
    };
    store.quarantine(entry).unwrap().durable_blocking().unwrap();
}

fn state(store: &Payments, id: &crate::domain::PaymentId) -> Option<StateName> {
    store.payment(id).unwrap().map(|r| r.state_name())
}

#[test]
fn the_sweep_removes_old_unmatched_checks_and_keeps_whatever_touched_money() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    // Junk: checks no money answered, expired after the 30-minute window.
    let junk: Vec<_> = (0..5).map(|n| check(&store, 100 + n, "7", t0())).collect();
    // A held claim that is rejected, one that expires, one credited.
    store
        .put_transaction(&transaction("014400000001"))
        .unwrap()
        .durable_blocking()
        .unwrap();
    let rejected = check(&store, 42, "100", t0());
    let reject = Event::Reject(Decision {
        actor: Actor::Operator {
            by: Default::default(),
            ip: None,
        },
        note: None,
    });
    store
        .apply(&rejected.id, &reject, t0())
        .unwrap()
        .unwrap()
        .durable_blocking()
        .unwrap();
    let mut tx = transaction("014400000002");
    tx.amount = crate::domain::Amount::parse("200").unwrap();
    store
        .put_transaction(&tx)
        .unwrap()
        .durable_blocking()
        .unwrap();
    let held = check(&store, 43, "200", t0());
    assert_eq!(state(&store, &held.id), Some(StateName::Held));
    close_windows(&store, days(3)); // junk expires; the hold expires too
    assert_eq!(state(&store, &held.id), Some(StateName::Expired));
    quarantine(&store, days(3));
    quarantine(&store, days(20));
    let count = |s| store.db().state_count(s).unwrap();
    assert_eq!(count(StateName::Expired), 6);

    // Not yet 30 days since they ended: nothing goes.
    assert_eq!(sweep(&store, 100, days(32)), Swept::default());
    // 30 days on, in batches of 2: the junk goes, and the old quarantine entry.
    let first = sweep(&store, 2, days(34));
    assert_eq!(
        first,
        Swept {
            payments: 2,
            quarantine: 1
        }
    );
    assert!(first.full(2));
    assert_eq!(sweep(&store, 2, days(34)).payments, 2);
    assert_eq!(sweep(&store, 2, days(34)).payments, 1);
    assert_eq!(sweep(&store, 2, days(34)), Swept::default());
    for payment in &junk {
        assert_eq!(store.payment(&payment.id).unwrap(), None);
        assert!(
            store.history(&payment.id).unwrap().is_empty(),
            "audit trail gone too"
        );
    }
    // Kept: the rejected and the expired claim, with their audit trails.
    for kept in [&rejected, &held] {
        assert!(store.payment(&kept.id).unwrap().is_some());
        assert!(store.history(&kept.id).unwrap().len() >= 3);
    }
    assert_eq!(count(StateName::Expired), 1);
    assert_eq!(count(StateName::Rejected), 1);
    let left = store
        .quarantine_page(None, None, 10)
        .unwrap()
        .unwrap()
        .items;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].at, days(20));
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    // A new check of the same (client, phone, amount) works as before.
    let again = check(&store, 100, "7", days(35));
    assert_eq!(again.state_name(), StateName::Searching);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn an_older_folder_gets_its_retention_index_and_waiting_counts_once_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    let old = check(&store, 7, "7", t0());
    close_windows(&store, t0() + SignedDuration::from_hours(1));
    for client in [8, 9] {
        check(&store, client, "9", t0());
    }
    crate::db::forge::forget_retention_index(store.db());
    let problems = store.verify().unwrap();
    assert!(
        problems.iter().any(|p| p.contains("retention")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("not counted")),
        "{problems:?}"
    );
    store.close().unwrap();

    let store = open(dir.path());
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    let phone = Phone::parse("01012345678").unwrap();
    let counted = store
        .db()
        .transact(|tx| {
            tx.waiting_count(
                &store_id(),
                &phone,
                crate::domain::Amount::parse("9").unwrap(),
            )
        })
        .unwrap();
    assert_eq!(counted, 2);
    let swept = sweep(&store, 10, days(31));
    assert_eq!(swept.payments, 1);
    assert_eq!(store.payment(&old.id).unwrap(), None);
}

/// Velocity lists left: how many lists of check times the index holds.
fn velocity_lists(store: &Payments) -> usize {
    store
        .db()
        .check_counters_page(&CounterCursor::default(), i64::MAX, usize::MAX)
        .unwrap()
        .looked_at
}

/// Every page of one pass, `page_max` lists at a time; how many went.
fn sweep_velocity_pass(store: &Payments, now: Timestamp, page_max: usize) -> usize {
    let mut cursor = CounterCursor::default();
    let mut removed = 0;
    loop {
        let page = store
            .sweep_velocity(&cursor, now, page_max)
            .unwrap()
            .durable_blocking()
            .unwrap();
        assert!(page.looked_at <= page_max, "a page is bounded");
        removed += page.removed;
        match page.next {
            Some(next) => cursor = next,
            None => return removed,
        }
    }
}

fn velocity_on(store: &Payments) {
    let mut settings = store.stores().get(&store_id()).unwrap().unwrap();
    settings.anti_spam.hold_after_checks_per_hour = Some(100);
    store
        .stores()
        .put(&store_id(), &settings)
        .unwrap()
        .durable_blocking()
        .unwrap();
}

#[test]
fn lists_of_check_times_with_nothing_in_the_last_hour_are_removed_in_bounded_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    velocity_on(&store);
    let minutes = |n: i64| t0() + SignedDuration::from_mins(n);
    // Five clients check once at t0 from one phone: five client lists and
    // one phone list. At t0 + 50 min another client checks from the same
    // phone, which keeps the phone's list in the window.
    for client in 100..105 {
        check(&store, client, "7", t0());
    }
    check(&store, 200, "7", minutes(50));
    assert_eq!(velocity_lists(&store), 7);

    // Nothing is out of the window yet.
    assert_eq!(sweep_velocity_pass(&store, minutes(59), 2), 0);
    assert_eq!(velocity_lists(&store), 7);
    // At t0 + 70 min the five client lists are out; the phone's and client
    // 200's are not. Pages of two: four pages for seven lists.
    assert_eq!(sweep_velocity_pass(&store, minutes(70), 2), 5);
    assert_eq!(velocity_lists(&store), 2);
    // A list counted again after a page read it is not removed.
    let before_ms = minutes(111).as_millisecond() - 3_600_000;
    let page = store
        .db()
        .check_counters_page(&CounterCursor::default(), before_ms, 10)
        .unwrap();
    assert_eq!(
        page.stale.len(),
        2,
        "both are out of the window at t0 + 111 min"
    );
    check(&store, 200, "8", minutes(111));
    let removed = store
        .db()
        .transact(|tx| {
            let mut removed = 0;
            for key in &page.stale {
                removed += usize::from(tx.delete_counter_if_stale(key, before_ms)?);
            }
            Ok(removed)
        })
        .unwrap();
    assert_eq!(
        removed, 0,
        "client 200 and the phone checked again meanwhile"
    );
    assert_eq!(velocity_lists(&store), 2);
    // An hour after their last check they go too, and nothing else moved.
    assert_eq!(sweep_velocity_pass(&store, minutes(172), 1), 2);
    assert_eq!(velocity_lists(&store), 0);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}
