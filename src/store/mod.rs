//! Everything sled: records, indexes, the audit log, the outbox, timers and
//! group commit. Nothing outside this module touches sled.
//!
//! Every change of a payment goes through one multi-tree sled transaction
//! that writes the new state, its audit entry, its outbox entries and its
//! index entries together; [`Written::durable`] then waits for the group
//! commit, so nothing is acknowledged before it is on disk.

mod antispam;
mod apply;
mod breaker;
mod changes;
mod credit;
mod durability;
pub mod keys;
mod matching;
mod merchants;
mod outbox;
mod payments;
mod quarantine;
mod records;
mod timers;
mod tx;
mod verify;

use std::path::Path;
use std::sync::Arc;

pub use apply::{Applied, NotApplied};
pub use breaker::Breaker;
pub use changes::Changes;
pub use matching::{CheckOutcome, IngestOutcome};
pub use payments::NewPayment;
pub use quarantine::QuarantineEntry;
pub use records::{
    AuditEntry, Claim, Deadline, Effect, Lane, OutboxEntry, OutboxStatus, PaymentRecord,
    PaymentSummary, TransactionRecord,
};
pub use timers::DueTimer;

use durability::GroupCommit;

use crate::machine::StateName;

/// Storage failures: "stop, something is broken". Business outcomes
/// (refused events, unknown payments) are values, not these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the data folder is corrupt ({0}); restore it from a backup")]
    Corrupt(String),
    #[error("the data folder {0} is in use by another cashgate process")]
    Locked(String),
    #[error("storage I/O failed: {0}")]
    Io(String),
    #[error("a stored record does not decode ({0})")]
    Decode(String),
    #[error("an invariant would break: {0}")]
    Invariant(String),
    #[error("the write could not be made durable: {0}")]
    NotDurable(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
            other => StoreError::Io(other.to_string()),
        }
    }
}

/// sled's page cache by default. sled's memory runs well above this
/// setting (it keeps metadata for every page on disk besides the cache),
/// and a larger cache bought nothing measurable in `scripts/load`: 16 MiB
/// against 64 MiB kept polls and checks at the same rate with a million
/// payments stored while peak RSS fell from 527 to 408 MiB.
pub const CACHE_BYTES_DEFAULT: u64 = 16 * 1024 * 1024;

/// Settings of the storage layer.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// sled's page cache (sled's own default is 1 GB).
    pub cache_bytes: u64,
    /// How many failed AddCredit tries end a payment in `credit_failed`.
    pub credit_tries_max: u32,
    /// Whether `Written::durable` waits for an fsync. Only the model
    /// harness turns this off (it flushes when it closes the store).
    pub sync_writes: bool,
    /// How long a group commit gathers writers before its fsync.
    pub group_commit_window_us: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: CACHE_BYTES_DEFAULT,
            credit_tries_max: 8,
            sync_writes: true,
            group_commit_window_us: 2000,
        }
    }
}

/// The open data folder. Cheap to clone; the last clone closes it.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    /// Transitions and payments by state, counted where they commit.
    metrics: Arc<crate::metrics::Metrics>,
    /// Known stores' settings (see `shared_store_settings`).
    settings_cache: std::sync::RwLock<
        std::collections::HashMap<crate::domain::StoreId, Arc<crate::merchant::StoreSettings>>,
    >,
    /// Long polls and check replies waiting for a payment to change.
    changes: changes::Changes,
    /// Bumped after every durable payment change, so outbox workers look
    /// for new work at once instead of at their next poll.
    activity: tokio::sync::watch::Sender<u64>,
    trees: Trees,
    group_commit: std::sync::Mutex<GroupCommit>,
    options: StoreOptions,
}

/// The trees, in the fixed order that transactions use.
#[derive(Clone)]
pub(crate) struct Trees {
    all: [sled::Tree; tx::TREES],
}

/// A write that is not yet durable: it yields its value only after the
/// group commit has flushed it.
#[must_use = "a write is not durable until `durable()` returns"]
pub struct Written<T> {
    value: T,
    ticket: durability::Ticket,
    /// Payments (and their new versions) to announce once durable.
    changed: Vec<(crate::domain::PaymentId, u64)>,
    store: Store,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Written<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Written").field(&self.value).finish()
    }
}

impl<T> Written<T> {
    pub async fn durable(self) -> Result<T, StoreError> {
        self.ticket.wait().await.map_err(StoreError::NotDurable)?;
        self.store.announce(&self.changed);
        Ok(self.value)
    }

    /// The value without waiting for durability: for bulk loads that
    /// flush once at the end (`Store::close`), never for replies.
    pub fn into_value_unflushed(self) -> T {
        self.value
    }

    pub fn durable_blocking(self) -> Result<T, StoreError> {
        self.ticket
            .wait_blocking()
            .map_err(StoreError::NotDurable)?;
        self.store.announce(&self.changed);
        Ok(self.value)
    }
}

impl Store {
    /// Opens (or creates) the data folder's database.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(e.to_string()))?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(options.cache_bytes)
            .flush_every_ms(Some(1000))
            .open()
            .map_err(|e| open_error(e, dir))?;
        let mut trees = Vec::with_capacity(tx::TREES);
        for name in tx::TREE_NAMES {
            trees.push(db.open_tree(name)?);
        }
        let all: [sled::Tree; tx::TREES] = trees
            .try_into()
            .map_err(|_| StoreError::Invariant("tree count".into()))?;
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let group_commit = GroupCommit::start(
            db.clone(),
            durability::Options {
                sync: options.sync_writes,
                window: std::time::Duration::from_micros(options.group_commit_window_us),
            },
            metrics.clone(),
        )
        .map_err(|e| StoreError::Io(e.to_string()))?;
        for (state, count) in state_counts(&all[tx::T::Index as usize])? {
            metrics.set_payments(state, count);
        }
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                metrics,
                settings_cache: Default::default(),
                changes: changes::Changes::default(),
                activity: tokio::sync::watch::Sender::new(0),
                trees: Trees { all },
                group_commit: std::sync::Mutex::new(group_commit),
                options,
            }),
        })
    }

    /// Flushes, stops the group-commit thread and releases the folder, so
    /// it can be opened again at once (tests that reboot).
    pub fn close(self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        if let Ok(mut gc) = self.inner.group_commit.lock() {
            gc.stop();
        }
        Ok(())
    }

    pub(crate) fn inner_db(&self) -> &sled::Db {
        &self.inner.db
    }

    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    pub(crate) fn trees(&self) -> &Trees {
        &self.inner.trees
    }

    /// Wraps a value whose writes are made; durable after the next flush.
    pub(crate) fn written<T>(&self, value: T) -> Written<T> {
        self.written_changing(value, Vec::new())
    }

    /// Like `written`, and announces the changed payments once durable.
    pub(crate) fn written_changing<T>(
        &self,
        value: T,
        changed: Vec<(crate::domain::PaymentId, u64)>,
    ) -> Written<T> {
        let ticket = match self.inner.group_commit.lock() {
            Ok(gc) => gc.request(),
            Err(poisoned) => poisoned.into_inner().request(),
        };
        Written {
            value,
            ticket,
            changed,
            store: self.clone(),
        }
    }

    fn announce(&self, changed: &[(crate::domain::PaymentId, u64)]) {
        for (id, version) in changed {
            self.inner.changes.publish(id, *version);
        }
        if !changed.is_empty() {
            self.inner.activity.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Changes whenever a payment changed durably (see `activity`).
    pub fn activity(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.activity.subscribe()
    }

    pub(crate) fn settings_cache(
        &self,
    ) -> &std::sync::RwLock<
        std::collections::HashMap<crate::domain::StoreId, Arc<crate::merchant::StoreSettings>>,
    > {
        &self.inner.settings_cache
    }

    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.inner.metrics
    }

    /// A transition committed: count it and log it (one line each).
    pub(crate) fn committed(&self, applied: &Applied) {
        self.inner.metrics.transition(applied.from, applied.to);
        let actor = match &applied.audit.actor {
            crate::machine::Actor::System => "system".to_owned(),
            crate::machine::Actor::Approver { email, .. } => format!("approver {email}"),
            crate::machine::Actor::Operator { .. } => "operator".to_owned(),
        };
        tracing::info!(
            payment_id = %applied.record.id,
            from = %applied.from,
            to = %applied.to,
            event = applied.audit.event,
            actor,
            "transition"
        );
    }

    /// Where waiters subscribe to a payment's changes.
    pub fn changes(&self) -> &changes::Changes {
        &self.inner.changes
    }

    /// Makes everything written so far durable.
    pub async fn sync(&self) -> Result<(), StoreError> {
        self.written(()).durable().await
    }

    /// Whether the database answers reads (for `/healthz`).
    pub fn is_readable(&self) -> bool {
        self.inner.trees.all[0].first().is_ok()
    }

    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.size_on_disk()?)
    }
}

/// Payments by state for the metrics: the kept counts, or, for a folder
/// written before counts were kept, counted once from the state index and
/// stored (at open nothing else writes).
fn state_counts(index: &sled::Tree) -> Result<Vec<(StateName, i64)>, StoreError> {
    if index.get(keys::counts_kept())?.is_none() {
        let mut batch = sled::Batch::default();
        for state in StateName::ALL {
            let count = scan_state_count(index, state);
            batch.insert(keys::state_count(state), &count.to_be_bytes()[..]);
        }
        batch.insert(keys::counts_kept(), &[][..]);
        index.apply_batch(batch)?;
        index.flush()?;
    }
    StateName::ALL
        .into_iter()
        .map(|state| {
            let kept = kept_state_count(index, state)?;
            Ok((state, i64::try_from(kept).unwrap_or(i64::MAX)))
        })
        .collect()
}

/// The stored count of payments in a state (0 when absent).
pub(crate) fn kept_state_count(index: &sled::Tree, state: StateName) -> Result<u64, StoreError> {
    Ok(index
        .get(keys::state_count(state))?
        .map_or(0, |v| apply::decode_count(&v)))
}

/// Payments in a state, counted from the state index (a full scan).
pub(crate) fn scan_state_count(index: &sled::Tree, state: StateName) -> u64 {
    let count = index
        .scan_prefix(keys::state_prefix(state, None))
        .keys()
        .count();
    u64::try_from(count).unwrap_or(u64::MAX)
}

fn open_error(e: sled::Error, dir: &Path) -> StoreError {
    match &e {
        // sled reports a held lock as an `Other` error with this text.
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock") =>
        {
            StoreError::Locked(dir.display().to_string())
        }
        _ => StoreError::from(e),
    }
}

/// Opens a folder, retrying briefly while a previous `Db` in this process
/// releases its file lock (sled does that on a background thread).
pub fn open_with_retry(dir: &Path, options: StoreOptions) -> Result<Store, StoreError> {
    let mut last = None;
    for _ in 0..100 {
        match Store::open(dir, options.clone()) {
            Err(StoreError::Locked(d)) => {
                last = Some(StoreError::Locked(d));
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| StoreError::Locked(dir.display().to_string())))
}

#[cfg(test)]
mod tests;
