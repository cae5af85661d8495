//! The persistence layer: everything sled, and nothing else. It knows
//! trees, records, keys, the indexes derived from records, the counts kept
//! beside them, and the one atomic write ([`Db::write`] with a
//! [`WriteTx`]). It knows no rules: which payment claims which transaction,
//! what the machine decides, who may approve — that is `crate::payments`,
//! which runs its changes inside these writes.
//!
//! Nothing is acknowledged before it is durable: a write returns a
//! [`Durable`] that hands out its value only after the group commit
//! (`durability`) has flushed it.
//!
//! Every write takes the shared side of the write barrier
//! (`Db::barrier_shared`); a backup (`snapshot`) takes the exclusive
//! side while it copies, so it sees whole writes only. A new write path
//! must take it too.

mod antispam;
mod breaker;
mod counts;
mod durability;
mod error;
mod keys;
mod lanes;
mod outbox;
mod pages;
mod payments;
mod quarantine;
mod reads;
mod records;
mod restored;
mod retention;
mod search;
mod snapshot;
mod store_keys;
mod stores;
mod timers;
mod tx;

use std::path::Path;
use std::sync::Arc;

pub use antispam::{CheckCounter, CounterCursor, CounterKey, CounterPage};
pub use breaker::Breaker;
pub use counts::IndexSizes;
pub use durability::Durable;
pub use error::{DbError, Invariant, Tree};
pub use outbox::{ApproverSend, Effect, Lane, OutboxEntry, OutboxKey, OutboxStatus, SendOutcome};
pub use pages::{Cursor, CursorError, Page};
pub use quarantine::{QuarantineEntry, QuarantineReason};
pub use reads::PageResult;
pub use records::{
    AuditEntry, AuditEvent, Claim, Deadline, InvoiceAttempt, InvoiceSettlement, InvoiceState,
    PaymentRecord, PaymentSummary, Released, TransactionRecord,
};
pub use retention::PaymentKeys;
pub use snapshot::CopyReport;
pub use store_keys::{KeyHash, StoreKeyRecord};
pub use timers::DueTimer;
pub use tx::{TxResult, WriteTx, abort};

use durability::GroupCommit;

use crate::metrics::Metrics;

/// sled's page cache by default. sled's memory runs well above this
/// setting (it keeps metadata for every page on disk besides the cache),
/// and a larger cache bought nothing measurable in `scripts/load`: 16 MiB
/// against 64 MiB kept polls and checks at the same rate with a million
/// payments stored while peak RSS fell from 527 to 408 MiB.
pub const CACHE_BYTES_DEFAULT: u64 = 16 * 1024 * 1024;

/// The sled folder inside a data folder.
pub const SLED_FOLDER: &str = "db";

/// How many ids sled's id generator hands out between two persists of its
/// counter (sled's default, set explicitly: a copy's counter must be a
/// multiple of it, see `snapshot`).
const SLED_IDGEN_PERSIST_INTERVAL: u64 = 1_000_000;

/// Length of a payment id at the end of index keys (`pay_` and 26
/// characters).
const PAYMENT_ID_LEN: usize = 30;

/// How often sled's own background thread flushes (every durable reply
/// flushes through the group commit anyway).
const SLED_FLUSH_EVERY_MS: u64 = 1000;

/// Settings of the persistence layer.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// sled's page cache (sled's own default is 1 GB).
    pub cache_bytes: u64,
    /// Whether a write waits for an fsync before it is handed out. Only
    /// the model harness turns this off (it flushes when it closes).
    pub sync_writes: bool,
    /// How long a group commit gathers writers before its fsync.
    pub group_commit_window_us: u64,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            cache_bytes: CACHE_BYTES_DEFAULT,
            sync_writes: true,
            group_commit_window_us: 2000,
        }
    }
}

/// The open database. Cheap to clone; the last clone closes it.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    /// The trees, in the fixed order that transactions use.
    trees: [sled::Tree; Tree::COUNT],
    group_commit: std::sync::Mutex<GroupCommit>,
    /// Writes hold it shared; a consistent copy holds it exclusively.
    write_barrier: std::sync::RwLock<()>,
}

impl Db {
    /// Opens (or creates) the data folder's database. `metrics` receives
    /// the group commit's flush times and batch sizes.
    pub fn open(dir: &Path, options: &DbOptions, metrics: Arc<Metrics>) -> Result<Db, DbError> {
        std::fs::create_dir_all(dir)?;
        let db = sled::Config::new()
            .path(dir.join(SLED_FOLDER))
            .cache_capacity(options.cache_bytes)
            .flush_every_ms(Some(SLED_FLUSH_EVERY_MS))
            .idgen_persist_interval(SLED_IDGEN_PERSIST_INTERVAL)
            .open()
            .map_err(|e| open_error(e, dir))?;
        let mut trees = Vec::with_capacity(Tree::COUNT);
        for tree in Tree::ALL {
            trees.push(db.open_tree(tree.name())?);
        }
        let trees: [sled::Tree; Tree::COUNT] = trees
            .try_into()
            .map_err(|_| DbError::Key { tree: Tree::Index })?;
        counts::keep_counts(&trees[Tree::Index as usize])?;
        retention::keep_retention_index(
            &trees[Tree::Payments as usize],
            &trees[Tree::Index as usize],
        )?;
        search::keep_search_entries(
            &trees[Tree::Payments as usize],
            &trees[Tree::Index as usize],
        )?;
        let durability = durability::Options {
            sync: options.sync_writes,
            window: std::time::Duration::from_micros(options.group_commit_window_us),
        };
        let group_commit = GroupCommit::start(db.clone(), durability, metrics)?;
        Ok(Db {
            inner: Arc::new(Inner {
                db,
                trees,
                group_commit: std::sync::Mutex::new(group_commit),
                write_barrier: std::sync::RwLock::new(()),
            }),
        })
    }

    /// Opens a folder, retrying briefly while a previous `Db` in this
    /// process releases its file lock (sled does that on a background
    /// thread, so a test that "reboots" may find it still held).
    pub fn open_with_retry(
        dir: &Path,
        options: &DbOptions,
        metrics: Arc<Metrics>,
    ) -> Result<Db, DbError> {
        for _ in 0..100 {
            match Db::open(dir, options, metrics.clone()) {
                Err(DbError::Locked(_)) => std::thread::sleep(std::time::Duration::from_millis(20)),
                other => return other,
            }
        }
        Err(DbError::Locked(dir.to_path_buf()))
    }

    /// Flushes, stops the group-commit thread and releases the folder, so
    /// it can be opened again at once (tests that reboot).
    pub fn close(self) -> Result<(), DbError> {
        self.inner.db.flush()?;
        if let Ok(mut gc) = self.inner.group_commit.lock() {
            gc.stop();
        }
        Ok(())
    }

    fn tree(&self, t: Tree) -> &sled::Tree {
        &self.inner.trees[t as usize]
    }

    /// Runs `f` as one serialisable transaction over every tree and asks
    /// for it to be made durable.
    pub fn write<R>(&self, f: impl Fn(&WriteTx) -> TxResult<R>) -> Result<Durable<R>, DbError> {
        let value = self.transact(f)?;
        Ok(self.durable(value))
    }

    /// Runs `f` as one serialisable transaction over every tree. What it
    /// wrote is not durable until [`Db::durable`] says so: for writes that
    /// may turn out to have written nothing (a refused event).
    pub fn transact<R>(&self, f: impl Fn(&WriteTx) -> TxResult<R>) -> Result<R, DbError> {
        use sled::Transactional;
        use sled::transaction::{TransactionError, TransactionalTree};
        let _barrier = self.barrier_shared();
        let result = self
            .inner
            .trees
            .as_slice()
            .transaction(|trees: &Vec<TransactionalTree>| f(&WriteTx { trees }));
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => DbError::from(e),
        })
    }

    /// Held by every write while it writes (never across another write:
    /// a waiting copy blocks new holders, so holding it twice could wait
    /// forever).
    fn barrier_shared(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        let barrier = &self.inner.write_barrier;
        barrier.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Held by a consistent copy: no write runs meanwhile.
    fn barrier_exclusive(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        let barrier = &self.inner.write_barrier;
        barrier.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Wraps a value whose writes are made; durable after the next flush.
    pub fn durable<T>(&self, value: T) -> Durable<T> {
        let ticket = match self.inner.group_commit.lock() {
            Ok(gc) => gc.request(),
            Err(poisoned) => poisoned.into_inner().request(),
        };
        Durable::new(value, ticket)
    }

    /// Makes everything written so far durable.
    pub async fn sync(&self) -> Result<(), DbError> {
        self.durable(()).durable().await
    }

    /// Whether the database answers reads (for `/healthz`).
    pub fn is_readable(&self) -> bool {
        self.tree(Tree::Stores).first().is_ok()
    }

    pub fn size_on_disk(&self) -> Result<u64, DbError> {
        Ok(self.inner.db.size_on_disk()?)
    }
}

fn open_error(e: sled::Error, dir: &Path) -> DbError {
    match &e {
        // sled reports a held lock as an `Other` error with this text.
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock") =>
        {
            DbError::Locked(dir.to_path_buf())
        }
        _ => DbError::from(e),
    }
}

/// Forgeries for tests: what a bug or an older version could have left on
/// disk, written behind the layers' backs.
#[cfg(test)]
pub(crate) mod forge {
    use super::error::Tree;
    use super::{Db, keys, tx};
    use crate::domain::PaymentId;
    use crate::machine::StateName;

    pub fn put_payment(db: &Db, record: &super::PaymentRecord) {
        let bytes = tx::encode(Tree::Payments, record).unwrap();
        db.tree(Tree::Payments)
            .insert(keys::payment(&record.id), bytes)
            .unwrap();
    }

    pub fn remove_audit(db: &Db, id: &PaymentId, version: u64) {
        db.tree(Tree::Audit)
            .remove(keys::audit(id, version))
            .unwrap();
    }

    pub fn set_state_count(db: &Db, state: StateName, count: u64) {
        db.tree(Tree::Index)
            .insert(keys::state_count(state), &count.to_be_bytes())
            .unwrap();
    }

    /// A folder from before counts were kept: no counts, no markers.
    pub fn forget_counts(db: &Db) {
        let index = db.tree(Tree::Index);
        for state in StateName::ALL {
            index.remove(keys::state_count(state)).unwrap();
        }
        for lane in super::Lane::ALL {
            index.remove(keys::lane_count(lane)).unwrap();
        }
        index.remove(keys::counts_kept()).unwrap();
        index.remove(keys::lane_counts_kept()).unwrap();
        index.remove(keys::store_counts_kept()).unwrap();
        index.remove(keys::store_awaiting_counts_kept()).unwrap();
        for counts in [keys::store_state_counts(), keys::store_awaiting_counts()] {
            for key in index.scan_prefix(counts).keys() {
                index.remove(key.unwrap()).unwrap();
            }
        }
    }

    /// A folder from before the retention index and the waiting counts.
    pub fn forget_retention_index(db: &Db) {
        let index = db.tree(Tree::Index);
        for prefix in [keys::prefix::RETENTION, keys::prefix::WAITING_COUNT] {
            for key in index.scan_prefix([prefix]).keys() {
                index.remove(key.unwrap()).unwrap();
            }
        }
        index.remove(keys::retention_kept()).unwrap();
    }
}

#[cfg(test)]
mod tests;
