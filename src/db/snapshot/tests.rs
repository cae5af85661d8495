//! The copy on real sled folders: complete, consistent under concurrent
//! writers, and with an id generator that never reuses a source id.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::super::error::Tree;
use super::super::{Db, DbOptions, QuarantineEntry, QuarantineReason};
use crate::metrics::Metrics;

const CACHE: u64 = 1 << 20;

fn open(dir: &std::path::Path) -> Db {
    Db::open_with_retry(dir, &DbOptions::default(), Arc::new(Metrics::new())).unwrap()
}

/// Every (tree, key, value) of a sled folder, read directly.
fn contents(db: &Db) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for name in db.inner.db.tree_names() {
        let tree = db.inner.db.open_tree(&name).unwrap();
        for item in tree.iter() {
            let (k, v) = item.unwrap();
            out.push((
                String::from_utf8_lossy(&name).into(),
                k.to_vec(),
                v.to_vec(),
            ));
        }
    }
    out.sort();
    out
}

fn quarantine(text: &str) -> QuarantineEntry {
    QuarantineEntry {
        id: 0,
        at: jiff::Timestamp::from_second(1_780_000_000).unwrap(),
        store_id: crate::domain::StoreId::parse("5").unwrap(),
        reason: QuarantineReason::NotAPayment,
        detail: String::new(),
        from: None,
        text: text.into(),
    }
}

#[test]
fn a_copy_holds_every_entry_of_every_tree() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("src"));
    db.transact(|tx| {
        for i in 0u32..5000 {
            tx.put_raw(Tree::Payments, &i.to_be_bytes(), b"payment")?;
            tx.put_raw(Tree::Audit, &i.to_be_bytes(), b"audit")?;
        }
        tx.put_raw(Tree::Stores, b"5", b"{}")
    })
    .unwrap();
    db.insert_quarantine(quarantine("x"))
        .unwrap()
        .durable_blocking()
        .unwrap();
    let target = dir.path().join("copy");
    let report = db.copy_to(&target, CACHE).unwrap();
    assert_eq!(report.entries["payments"], 5000);
    assert_eq!(report.entries["audit"], 5000);
    assert_eq!(report.entries["quarantine"], 1);
    let expected = contents(&db);
    db.close().unwrap();
    let copy = open(&target);
    assert_eq!(contents(&copy), expected);
    assert!(
        db_copy_refuses_an_existing_database(&copy, &target),
        "a second copy into the same folder is refused"
    );
}

fn db_copy_refuses_an_existing_database(db: &Db, target: &std::path::Path) -> bool {
    db.copy_to(target, CACHE).is_err()
}

#[test]
fn the_copy_never_hands_out_an_id_the_source_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("src"));
    let mut last = 0;
    for i in 0..3 {
        last = db
            .insert_quarantine(quarantine(&format!("q{i}")))
            .unwrap()
            .durable_blocking()
            .unwrap()
            .id;
    }
    let target = dir.path().join("copy");
    db.copy_to(&target, CACHE).unwrap();
    db.close().unwrap();
    let copy = open(&target);
    let next = copy
        .insert_quarantine(quarantine("new"))
        .unwrap()
        .durable_blocking()
        .unwrap();
    assert!(next.id > last, "{} after {last}", next.id);
    let kept = copy.quarantine_page(None, None, 10).unwrap().unwrap().items;
    assert_eq!(kept.len(), 4, "nothing was overwritten: {kept:?}");
}

/// Writers keep two trees in step (one key in each per write); a copy
/// taken while they run has exactly the same keys in both.
#[test]
fn a_copy_taken_under_concurrent_writes_sees_whole_writes_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("src"));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0u32..4)
        .map(|w| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let key = [w.to_be_bytes(), i.to_be_bytes()].concat();
                    db.transact(|tx| {
                        tx.put_raw(Tree::Payments, &key, b"p")?;
                        tx.put_raw(Tree::Transactions, &key, b"t")
                    })
                    .unwrap();
                    i += 1;
                }
                i
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let target = dir.path().join("copy");
    let report = db.copy_to(&target, CACHE).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    let written: u32 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(report.entries["payments"] > 0);
    assert!(
        report.entries["payments"] < u64::from(written),
        "the writers went on after the copy"
    );
    db.close().unwrap();
    let copy = open(&target);
    let keys = |t: Tree| -> Vec<Vec<u8>> {
        copy.tree(t)
            .iter()
            .keys()
            .map(|k| k.unwrap().to_vec())
            .collect()
    };
    let (payments, transactions) = (keys(Tree::Payments), keys(Tree::Transactions));
    assert!(
        payments == transactions,
        "half-copied writes: {} payment keys, {} transaction keys",
        payments.len(),
        transactions.len()
    );
    assert_eq!(report.entries["payments"], report.entries["transactions"]);
}
