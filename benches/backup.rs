//! How long a backup of a serving daemon's folder makes writes wait.
//!
//! For each scale (payments and transactions seeded through the store), it
//! reopens the folder, takes one backup with nothing else running, then
//! runs writers that create
//! payments the whole time, takes a backup (`Payments::backup`, what
//! `POST /admin/backup` runs) and prints: entries copied, the folder's
//! size, how long the write barrier was held, the whole backup's time, and
//! the slowest durable write seen during the backup against the slowest
//! before it.
//!
//!   cargo bench --bench backup                      # 10000 and 100000
//!   BACKUP_SCALES=1000,1000000 cargo bench --bench backup

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cashgate::domain::{Amount, ClientId, Lang, Phone, StoreId, TransId};
use cashgate::merchant::StoreSettings;
use cashgate::payments::{DbOptions, NewPayment, Payments, PaymentsOptions, TransactionRecord};

const WRITERS: usize = 4;

fn new_payment(i: usize) -> NewPayment {
    NewPayment {
        store_id: StoreId::parse("5").unwrap(),
        client_id: ClientId::try_from(u32::try_from(i % 2_000_000_000 + 1).unwrap()).unwrap(),
        phone: Phone::parse(&format!("012{:08}", i % 100_000_000)).unwrap(),
        amount: Amount::parse(&format!("{}", 1 + i % 5000)).unwrap(),
        lang: Lang::En,
        invoice: None,
    }
}

fn seed(dir: &Path, n: usize) {
    let options = PaymentsOptions {
        db: DbOptions {
            sync_writes: false,
            ..DbOptions::default()
        },
        ..PaymentsOptions::default()
    };
    let store = Payments::open(dir, options).unwrap();
    let id = StoreId::parse("5").unwrap();
    let _ = store.stores().put(&id, &StoreSettings::default()).unwrap();
    let now = jiff::Timestamp::now();
    for i in 0..n {
        let tx = TransactionRecord::new(
            id.clone(),
            TransId::parse(&format!("seed{i:09}")).unwrap(),
            Some(Phone::parse(&format!("015{:08}", i % 100_000_000)).unwrap()),
            Amount::parse(&format!("{}", 1 + i % 5000)).unwrap(),
            now,
            now,
        );
        let _ = store.put_transaction(&tx).unwrap();
        let _ = store.create_payment(&new_payment(i), now).unwrap();
    }
    store.close().unwrap();
    cashgate::data_dir::version::write(dir, cashgate::data_dir::version::CURRENT).unwrap();
}

/// Writers creating payments until `stop`; each returns its slowest write
/// before and during the backup (`during` is set around it).
fn writers(
    store: &Payments,
    stop: &Arc<AtomicBool>,
    during: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<(Duration, Duration, usize)>> {
    (0..WRITERS)
        .map(|w| {
            let (store, stop, during) = (store.clone(), stop.clone(), during.clone());
            std::thread::spawn(move || {
                let (mut before, mut in_backup, mut n) = (Duration::ZERO, Duration::ZERO, 0);
                let mut i = 1_000_000_000 + w * 10_000_000;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let now = jiff::Timestamp::now();
                    store
                        .create_payment(&new_payment(i), now)
                        .unwrap()
                        .durable_blocking()
                        .unwrap();
                    let took = started.elapsed();
                    if during.load(Ordering::Relaxed) {
                        in_backup = in_backup.max(took);
                        n += 1;
                    } else {
                        before = before.max(took);
                    }
                    i += 1;
                }
                (before, in_backup, n)
            })
        })
        .collect()
}

fn main() {
    let scales: Vec<usize> = std::env::var("BACKUP_SCALES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    println!(
        "| stored | entries | folder MiB | writes paused ms, no writers | writes paused ms | backup ms | slowest write before / during ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|");
    for n in scales {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        seed(&data, n);
        let store = Payments::open(&data, PaymentsOptions::default()).unwrap();
        let size = store.size_on_disk().unwrap();
        let quiet = store.backup(&data, &tmp.path().join("quiet"), 2).unwrap();
        let (stop, during) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let threads = writers(&store, &stop, &during);
        std::thread::sleep(Duration::from_secs(1));
        during.store(true, Ordering::Relaxed);
        let report = store.backup(&data, &tmp.path().join("backup"), 2).unwrap();
        during.store(false, Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let before = results.iter().map(|r| r.0).max().unwrap();
        let in_backup = results.iter().map(|r| r.1).max().unwrap();
        println!(
            "| {n} | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
            report.manifest.entries.values().sum::<u64>(),
            size >> 20,
            quiet.writes_paused_ms,
            report.writes_paused_ms,
            report.took_ms,
            before.as_secs_f64() * 1000.0,
            in_backup.as_secs_f64() * 1000.0,
        );
        store.close().unwrap();
    }
}
