//! A consistent copy of the whole database, taken while it serves.
//!
//! sled has no snapshot across trees, so the copy holds a write barrier:
//! every write — each atomic `transact`, and the few single-tree writes —
//! takes its shared side, and the copy takes the exclusive side while it
//! streams every tree's entries into a file (`export`). Writes wait
//! meanwhile; the stream is then exactly the state after some set of whole
//! writes. Once the writes go on, the stream is inserted into a new sled
//! folder (`import`, the slow part) and removed.
//!
//! The copy carries sled's id generator past every id the source handed
//! out (quarantine keys come from it), so the copy never reuses one.

mod export;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::DbError;
use super::{Db, SLED_FLUSH_EVERY_MS, SLED_FOLDER, SLED_IDGEN_PERSIST_INTERVAL};

/// The stream's file in the target folder, while the copy is built.
const EXPORT_FILE: &str = "db.export";
/// How long reopening the fresh copy waits for sled to release its lock
/// (sled releases it on a background thread after a drop).
const REOPEN_TRIES_MAX: u32 = 100;
const REOPEN_WAIT_MS: u64 = 20;

/// What a copy wrote and how long writes waited for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CopyReport {
    /// Entries copied, by tree name.
    pub entries: BTreeMap<String, u64>,
    /// How long the write barrier was held (writes waited at most this).
    pub writes_paused_ms: u64,
    /// The whole copy, flush and id-generator step included.
    pub took_ms: u64,
}

impl Db {
    /// Copies every tree into a new database in the data folder `target`
    /// (which must not hold one yet; `Db::open(target)` opens the copy),
    /// consistently, while other threads keep using this one.
    /// `cache_bytes` is the copy's sled page cache while it is built.
    pub fn copy_to(&self, target: &Path, cache_bytes: u64) -> Result<CopyReport, DbError> {
        let started = Instant::now();
        let stream = target.join(EXPORT_FILE);
        let sled_folder = target.join(SLED_FOLDER);
        if sled_folder.exists() {
            return Err(DbError::from(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} holds a database already", target.display()),
            )));
        }
        std::fs::create_dir_all(target)?;
        let (entries, paused) = {
            let _barrier = self.barrier_exclusive();
            let paused_from = Instant::now();
            let entries = export::export(&self.inner.db, &stream)?;
            (entries, paused_from.elapsed())
        };
        // Every id handed out so far is below this one.
        let next_id = self.inner.db.generate_id()?;
        let copy = sled::Config::new()
            .path(&sled_folder)
            .create_new(true)
            .cache_capacity(cache_bytes)
            .flush_every_ms(None)
            .open()?;
        export::import(&stream, &copy)?;
        copy.flush()?;
        drop(copy);
        std::fs::remove_file(&stream)?;
        advance_ids(&sled_folder, next_id, cache_bytes)?;
        Ok(CopyReport {
            entries,
            writes_paused_ms: millis(paused),
            took_ms: millis(started.elapsed()),
        })
    }
}

impl Db {
    /// Entries per tree, counted (for checking a restored copy).
    pub fn entry_counts(&self) -> Result<BTreeMap<String, u64>, DbError> {
        let mut counts = BTreeMap::new();
        for name in self.inner.db.tree_names() {
            let tree = self.inner.db.open_tree(&name)?;
            let mut n = 0u64;
            for item in tree.iter() {
                item?;
                n += 1;
            }
            counts.insert(String::from_utf8_lossy(&name).into_owned(), n);
        }
        Ok(counts)
    }
}

/// Makes the copy's id generator start at `next_id` or later. sled keeps
/// only a persisted counter and, when it reopens a folder, starts at that
/// counter plus twice its persist interval; it also expects the counter to
/// be a multiple of the interval a later open uses. So the copy is reopened
/// once with an interval of half a multiple of ours that reaches `next_id`,
/// and one id taken then persists that multiple.
fn advance_ids(target: &Path, next_id: u64, cache_bytes: u64) -> Result<(), DbError> {
    let multiples = next_id.div_ceil(SLED_IDGEN_PERSIST_INTERVAL).max(1);
    let interval = multiples.saturating_mul(SLED_IDGEN_PERSIST_INTERVAL / 2);
    let mut tries = 0;
    let copy = loop {
        let opened = sled::Config::new()
            .path(target)
            .cache_capacity(cache_bytes)
            .flush_every_ms(Some(SLED_FLUSH_EVERY_MS))
            .idgen_persist_interval(interval)
            .open();
        match opened {
            Err(sled::Error::Io(e)) if tries < REOPEN_TRIES_MAX && is_lock_error(&e) => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(REOPEN_WAIT_MS));
            }
            other => break other?,
        }
    };
    let first = copy.generate_id()?;
    if first < next_id {
        return Err(DbError::Io(std::sync::Arc::new(std::io::Error::other(
            format!("the copy's id generator starts at {first}, below {next_id}"),
        ))));
    }
    copy.flush()?;
    Ok(())
}

fn is_lock_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
