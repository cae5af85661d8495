//! Opening a data folder: owner-only from the start, its format version
//! checked, an older format migrated in place after an automatic backup.
//!
//! To serve (or change stores), a folder is opened with [`Purpose::Serve`]:
//! a new folder is stamped with the current version; an older one is
//! first backed up into `backups/before-v{N}-{time}/` and then migrated
//! step by step, and only then stamped — a crash midway repeats the
//! backup and the steps (each step may run twice). To look only
//! (`verify`, an offline `backup`, `store check`), [`Purpose::Inspect`]
//! neither stamps nor migrates. Both refuse a folder newer than this
//! cashgate, before sled touches it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::backup::{BackupError, backup};
use super::version::{self, CURRENT, Found, VersionError};
use super::{BACKUPS, create_private_dir, privacy};
use crate::db::{Db, DbError, DbOptions};
use crate::metrics::Metrics;

/// Why a folder is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// To run the daemon or change the folder: stamp, migrate, and wait
    /// briefly for this process's earlier handle to release the lock.
    Serve,
    /// To read: no stamp, no migration, no waiting for the lock (a locked
    /// folder means a running daemon, which the caller may ask instead).
    Inspect,
}

/// A folder opened, and what opening it did.
pub struct Opened {
    pub db: Db,
    /// The folder's format version now.
    pub format_version: u32,
    /// The version it was migrated from, and where it was backed up first.
    pub migrated: Option<(u32, PathBuf)>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{} is not a cashgate data folder (no database in it)", .0.display())]
    Missing(PathBuf),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the backup before migrating from format version {from} failed: {source}")]
    Backup { from: u32, source: BackupError },
    #[error("migrating {} from format version {from}: {source}", .dir.display())]
    Migrate {
        dir: PathBuf,
        from: u32,
        source: std::io::Error,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Opens the data folder `dir` for `purpose`.
pub fn open(
    dir: &Path,
    options: &DbOptions,
    metrics: Arc<Metrics>,
    purpose: Purpose,
) -> Result<Opened, OpenError> {
    privacy::restrict_umask();
    let found = version::read(dir)?;
    if found == Found::New && purpose == Purpose::Inspect {
        return Err(OpenError::Missing(dir.to_path_buf()));
    }
    let io = |source| OpenError::Io {
        path: dir.to_path_buf(),
        source,
    };
    create_private_dir(dir).map_err(io)?;
    let db = match purpose {
        Purpose::Serve => Db::open_with_retry(dir, options, metrics)?,
        Purpose::Inspect => Db::open(dir, options, metrics)?,
    };
    let (format_version, migrated) = match (found, purpose) {
        (Found::New, Purpose::Serve) => {
            version::write(dir, CURRENT).map_err(io)?;
            (CURRENT, None)
        }
        (Found::Version(v), Purpose::Serve) if v < CURRENT => {
            let saved_to = migrate(dir, &db, v, options.cache_bytes)?;
            (CURRENT, Some((v, saved_to)))
        }
        (Found::Version(v), _) => (v, None),
        (Found::New, Purpose::Inspect) => (CURRENT, None),
    };
    privacy::warn_if_exposed(dir);
    Ok(Opened {
        db,
        format_version,
        migrated,
    })
}

/// Backs the folder up, runs every step from `from` to [`CURRENT`], then
/// stamps it. Returns where the backup went.
fn migrate(dir: &Path, db: &Db, from: u32, cache_bytes: u64) -> Result<PathBuf, OpenError> {
    let to = backup_folder(dir).map_err(|source| OpenError::Io {
        path: dir.join(BACKUPS),
        source,
    })?;
    let report = backup(db, dir, &to, from, cache_bytes)
        .map_err(|source| OpenError::Backup { from, source })?;
    tracing::info!(
        data_dir = %dir.display(),
        from,
        to = CURRENT,
        backup = %to.display(),
        entries = report.manifest.entries.values().sum::<u64>(),
        "the data folder has an older format: backed it up, migrating"
    );
    for step in from..CURRENT {
        migrate_step(dir, step).map_err(|source| OpenError::Migrate {
            dir: dir.to_path_buf(),
            from: step,
            source,
        })?;
    }
    version::write(dir, CURRENT).map_err(|source| OpenError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    tracing::info!(data_dir = %dir.display(), format_version = CURRENT, "migrated");
    Ok(to)
}

/// One migration: from format `from` to `from + 1`. Each must be safe to
/// run twice (a crash before the stamp repeats it).
fn migrate_step(dir: &Path, from: u32) -> std::io::Result<()> {
    match from {
        // Version 1 folders were created 0755 with sled's files 0644:
        // anyone on the machine could read every store's secrets.
        1 => privacy::make_private(dir).map(|_| ()),
        _ => Err(std::io::Error::other(format!(
            "no migration from format version {from}"
        ))),
    }
}

/// A new folder under `dir/backups/` named for the migration and the time.
fn backup_folder(dir: &Path) -> std::io::Result<PathBuf> {
    let backups = std::path::absolute(dir.join(BACKUPS))?;
    create_private_dir(&backups)?;
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    for n in 0u32..100 {
        let name = match n {
            0 => format!("before-v{CURRENT}-{stamp}"),
            n => format!("before-v{CURRENT}-{stamp}-{n}"),
        };
        let path = backups.join(name);
        if !path.exists() {
            return Ok(path);
        }
    }
    Err(std::io::Error::other("no free backup folder name"))
}

#[cfg(test)]
mod tests;
