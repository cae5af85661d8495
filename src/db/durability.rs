//! Group commit: many writers share one `fsync`. A writer makes its sled
//! write, then asks this worker to make it durable and waits. The worker
//! takes every request queued so far, runs one `flush()`, and wakes them
//! all. sled's own `flush_async` deadlocks when several tasks await it at
//! once (an open sled issue), so a plain thread does this; waiters may be
//! async or blocking.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::error::DbError;
use crate::metrics::Metrics;

/// Most waiters one flush answers; the rest wait for the next flush.
const GROUP_COMMIT_WAITERS_MAX: usize = 4096;
/// Most requests queued for the flush thread. Writers are bounded by the
/// connections and workers long before this; past it a writer waits (back
/// pressure) instead of the queue growing without bound.
const GROUP_COMMIT_QUEUE_MAX: usize = 65_536;

type FlushResult = Result<(), Arc<sled::Error>>;
type Waiter = oneshot::Sender<FlushResult>;

/// How the group-commit thread flushes.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Whether to fsync at all (only the model harness turns it off).
    pub sync: bool,
    /// How long a batch gathers writers after its first one.
    pub window: std::time::Duration,
}

/// Hands out durability requests to the group-commit thread.
#[derive(Debug)]
pub struct GroupCommit {
    requests: Option<mpsc::SyncSender<Waiter>>,
    thread: Option<JoinHandle<()>>,
}

/// A pending "make it durable" request.
pub struct Ticket(Option<oneshot::Receiver<FlushResult>>);

impl GroupCommit {
    pub fn start(
        db: sled::Db,
        options: Options,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<GroupCommit> {
        let (tx, rx) = mpsc::sync_channel::<Waiter>(GROUP_COMMIT_QUEUE_MAX);
        let thread = std::thread::Builder::new()
            .name("cashgate-fsync".into())
            .spawn(move || run(db, rx, options, &metrics))?;
        Ok(GroupCommit {
            requests: Some(tx),
            thread: Some(thread),
        })
    }

    /// Asks for every write made before this call to become durable.
    pub fn request(&self) -> Ticket {
        let (tx, rx) = oneshot::channel();
        match self.requests.as_ref().map(|r| r.send(tx)) {
            Some(Ok(())) => Ticket(Some(rx)),
            _ => Ticket(None),
        }
    }

    /// Stops the thread after it has answered every queued request.
    pub fn stop(&mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            // A panic in the flush thread has already failed its waiters.
            let _ = thread.join();
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Ticket {
    pub async fn wait(self) -> Result<(), DbError> {
        let rx = self.0.ok_or(DbError::DurabilityStopped)?;
        match rx.await {
            Ok(result) => result.map_err(DbError::NotDurable),
            Err(_) => Err(DbError::DurabilityStopped),
        }
    }

    /// For callers outside an async runtime (CLI, tests, fuzzers).
    pub fn wait_blocking(self) -> Result<(), DbError> {
        let rx = self.0.ok_or(DbError::DurabilityStopped)?;
        match rx.blocking_recv() {
            Ok(result) => result.map_err(DbError::NotDurable),
            Err(_) => Err(DbError::DurabilityStopped),
        }
    }
}

/// A value whose writes are made but not yet durable: it is handed out
/// only after the group commit has flushed them.
#[must_use = "a write is not durable until `durable()` returns"]
pub struct Durable<T> {
    value: T,
    ticket: Ticket,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Durable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Durable").field(&self.value).finish()
    }
}

impl<T> Durable<T> {
    pub(super) fn new(value: T, ticket: Ticket) -> Durable<T> {
        Durable { value, ticket }
    }

    pub async fn durable(self) -> Result<T, DbError> {
        self.ticket.wait().await?;
        Ok(self.value)
    }

    pub fn durable_blocking(self) -> Result<T, DbError> {
        self.ticket.wait_blocking()?;
        Ok(self.value)
    }

    /// The value without waiting: for bulk loads that flush once at the
    /// end (`Db::close`), never for replies.
    pub fn into_value_unflushed(self) -> T {
        self.value
    }

    /// A peek at the value before it is durable (to log or count it).
    pub fn value(&self) -> &T {
        &self.value
    }
}

fn run(db: sled::Db, requests: mpsc::Receiver<Waiter>, options: Options, metrics: &Metrics) {
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        // sled's flush holds a lock that stops every transaction until the
        // fsync ends; flushing again at once would leave writers no time to
        // join the next batch. Gathering for a short window first lets many
        // writes share one fsync.
        let window = if options.sync {
            options.window
        } else {
            std::time::Duration::ZERO
        };
        let window_ends = std::time::Instant::now() + window;
        while batch.len() < GROUP_COMMIT_WAITERS_MAX {
            let left = window_ends.saturating_duration_since(std::time::Instant::now());
            match requests.recv_timeout(left) {
                Ok(waiter) => batch.push(waiter),
                Err(_) => break,
            }
        }
        let sync = options.sync;
        let started = std::time::Instant::now();
        let result = if sync {
            db.flush().map(|_| ()).map_err(Arc::new)
        } else {
            Ok(())
        };
        metrics
            .flush_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics
            .flush_batch
            .observe(f64::from(u32::try_from(batch.len()).unwrap_or(u32::MAX)));
        for waiter in batch {
            // A waiter that gave up (dropped) needs no answer.
            let _ = waiter.send(result.clone());
        }
    }
}
