//! Backups of a data folder, and restores from them.
//!
//! A backup is itself a data folder — a fresh sled folder holding every
//! tree's entries as of one moment (`Db::copy_to`), the admin token and
//! approval key, and the format version — plus `backup.json`, written
//! last: a folder without it is an unfinished backup, and restore refuses
//! it. The outgoing mail files (`mail/`) and earlier automatic backups
//! (`backups/`) are not copied.
//!
//! A restore copies a backup's files into an empty folder, then opens the
//! result and checks that every tree holds the entries the backup counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::version::{self, CURRENT, VersionError};
use super::{ADMIN_TOKEN, APPROVAL_KEY, FORMAT_VERSION, privacy};
use super::{create_private_dir, is_absent_or_empty, sync_dir, write_private};
use crate::db::{CopyReport, Db, DbError, DbOptions, SLED_FOLDER};
use crate::metrics::Metrics;

/// The manifest that marks a finished backup.
pub const MANIFEST: &str = "backup.json";
/// The files besides the database that a backup carries when present.
const CARRIED_FILES: [&str; 2] = [ADMIN_TOKEN, APPROVAL_KEY];

/// What a finished backup holds (its `backup.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub created_at: jiff::Timestamp,
    pub cashgate_version: String,
    /// Entries per tree, as copied.
    pub entries: BTreeMap<String, u64>,
    /// The files carried besides the database.
    pub files: Vec<String>,
}

/// What `backup` did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub to: PathBuf,
    #[serde(flatten)]
    pub manifest: Manifest,
    /// How long writes waited for the copy.
    pub writes_paused_ms: u64,
    pub took_ms: u64,
}

/// What `restore` did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub from: PathBuf,
    pub to: PathBuf,
    pub format_version: u32,
    pub entries: BTreeMap<String, u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} is not empty: a backup or restore goes into a new or empty folder", .0.display())]
    TargetNotEmpty(PathBuf),
    #[error("{} is not a finished backup (no {MANIFEST})", .0.display())]
    NotABackup(PathBuf),
    #[error("the restored folder does not hold what the backup counted: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Backs up the open database `db` of `data_dir` (format `format_version`)
/// into `to`, a missing or empty folder. Writes wait while the entries are
/// copied (see `Db::copy_to`); reads go on.
pub fn backup(
    db: &Db,
    data_dir: &Path,
    to: &Path,
    format_version: u32,
    cache_bytes: u64,
) -> Result<BackupReport, BackupError> {
    prepare_target(to)?;
    let copy: CopyReport = db.copy_to(to, cache_bytes)?;
    let mut files = Vec::new();
    for name in CARRIED_FILES {
        let from = data_dir.join(name);
        match std::fs::read_to_string(&from) {
            Ok(text) => write_private(&to.join(name), text.trim_end()).map_err(io(&from))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&from)(e)),
        }
        files.push(name.to_owned());
    }
    version::write(to, format_version).map_err(io(to))?;
    files.push(FORMAT_VERSION.to_owned());
    let manifest = Manifest {
        format_version,
        created_at: jiff::Timestamp::now(),
        cashgate_version: env!("CARGO_PKG_VERSION").to_owned(),
        entries: copy.entries,
        files,
    };
    finish(to, &manifest)?;
    Ok(BackupReport {
        to: to.to_path_buf(),
        manifest,
        writes_paused_ms: copy.writes_paused_ms,
        took_ms: copy.took_ms,
    })
}

/// Restores the backup in `from` into `to`, a missing or empty folder,
/// and checks the result against the backup's manifest.
pub fn restore(from: &Path, to: &Path) -> Result<RestoreReport, BackupError> {
    let manifest = read_manifest(from)?;
    if manifest.format_version > CURRENT {
        return Err(VersionError::Newer {
            dir: from.to_path_buf(),
            found: manifest.format_version,
        }
        .into());
    }
    prepare_target(to)?;
    copy_tree(&from.join(SLED_FOLDER), &to.join(SLED_FOLDER))?;
    for name in &manifest.files {
        let source = from.join(name);
        let text = std::fs::read_to_string(&source).map_err(io(&source))?;
        write_private(&to.join(name), text.trim_end()).map_err(io(&source))?;
    }
    let db = Db::open(
        to,
        &DbOptions::default(),
        std::sync::Arc::new(Metrics::new()),
    )?;
    let entries = db.entry_counts()?;
    db.close()?;
    // Opening may have created files (sled's snapshot) under a looser umask.
    privacy::make_private(to).map_err(io(to))?;
    sync_dir(to).map_err(io(to))?;
    let differ: Vec<String> = manifest
        .entries
        .iter()
        .filter(|(tree, n)| entries.get(*tree).copied().unwrap_or(0) != **n)
        .map(|(tree, n)| format!("{tree}: {n} in the backup"))
        .collect();
    if !differ.is_empty() {
        return Err(BackupError::Mismatch(differ.join(", ")));
    }
    Ok(RestoreReport {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        format_version: manifest.format_version,
        entries,
    })
}

/// A finished backup's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::NotABackup(dir.to_path_buf()));
        }
        Err(e) => return Err(io(&path)(e)),
    };
    serde_json::from_str(&text).map_err(|e| BackupError::Io {
        path,
        source: std::io::Error::other(e.to_string()),
    })
}

fn prepare_target(to: &Path) -> Result<(), BackupError> {
    if !is_absent_or_empty(to).map_err(io(to))? {
        return Err(BackupError::TargetNotEmpty(to.to_path_buf()));
    }
    create_private_dir(to).map_err(io(to))
}

/// Writes the manifest last, after everything else is synced.
fn finish(to: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    privacy::make_private(to).map_err(io(to))?;
    sync_dir(to).map_err(io(to))?;
    let text = serde_json::to_string_pretty(manifest).map_err(|e| BackupError::Io {
        path: to.join(MANIFEST),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_private(&to.join(MANIFEST), &text).map_err(io(to))?;
    sync_dir(to).map_err(io(to))
}

/// Copies a folder of regular files and folders (sled's), files `0600`
/// and folders `0700`, each file synced.
fn copy_tree(from: &Path, to: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    create_private_dir(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io(&source))?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_file() {
            let mut input = std::fs::File::open(&source).map_err(io(&source))?;
            let mut output = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&target)
                .map_err(io(&target))?;
            std::io::copy(&mut input, &mut output).map_err(io(&target))?;
            output.sync_all().map_err(io(&target))?;
        }
    }
    sync_dir(to).map_err(io(to))
}

#[cfg(test)]
mod tests;
