//! Group commit: many writers share one `fsync`. A writer makes its sled
//! write, then asks this worker to make it durable and waits. The worker
//! takes every request queued so far, runs one `flush()`, and wakes them
//! all. sled's own `flush_async` deadlocks under concurrency (CRATES.md),
//! so a plain thread does this; waiters may be async or blocking.

use std::sync::mpsc;
use std::thread::JoinHandle;

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::metrics::Metrics;

/// Most waiters one flush answers; the rest wait for the next flush.
const GROUP_COMMIT_WAITERS_MAX: usize = 4096;

type Waiter = oneshot::Sender<Result<(), String>>;

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
    requests: Option<mpsc::Sender<Waiter>>,
    thread: Option<JoinHandle<()>>,
}

/// A pending "make it durable" request.
pub struct Ticket(Result<oneshot::Receiver<Result<(), String>>, ()>);

impl GroupCommit {
    pub fn start(
        db: sled::Db,
        options: Options,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<GroupCommit> {
        let (tx, rx) = mpsc::channel::<Waiter>();
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
            Some(Ok(())) => Ticket(Ok(rx)),
            _ => Ticket(Err(())),
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
    pub async fn wait(self) -> Result<(), String> {
        match self.0 {
            Ok(rx) => rx.await.unwrap_or_else(|_| Err(stopped())),
            Err(()) => Err(stopped()),
        }
    }

    /// For callers outside an async runtime (CLI, tests, fuzzers).
    pub fn wait_blocking(self) -> Result<(), String> {
        match self.0 {
            Ok(rx) => rx.blocking_recv().unwrap_or_else(|_| Err(stopped())),
            Err(()) => Err(stopped()),
        }
    }
}

fn stopped() -> String {
    "the durability worker has stopped".to_owned()
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
            db.flush().map(|_| ()).map_err(|e| e.to_string())
        } else {
            Ok(())
        };
        metrics
            .flush_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics.flush_batch.observe(batch.len() as f64);
        for waiter in batch {
            // A waiter that gave up (dropped) needs no answer.
            let _ = waiter.send(result.clone());
        }
    }
}
