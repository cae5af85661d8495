//! The data folder's format version: a file `format_version` holding one
//! number. A daemon refuses a folder newer than it understands, and
//! migrates an older one in place (`open`).
//!
//! Versions:
//! - 1: folders written before the version file existed (a `db` folder
//!   and no `format_version`). Their folder was created `0755` and sled's
//!   files `0644`.
//! - 2: the version file exists, and the folder and everything in it are
//!   owner-only. The records themselves did not change.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{FORMAT_VERSION, sync_dir};

/// The version this cashgate writes.
pub const CURRENT: u32 = 2;
/// What a folder with a database but no version file is.
pub const UNVERSIONED: u32 = 1;
/// The longest version file read (it holds one small number).
const VERSION_FILE_BYTES_MAX: u64 = 64;

/// What a data folder says about its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No database and no version file: a new folder.
    New,
    Version(u32),
}

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error(
        "the data folder {} has format version {found}, newer than this cashgate \
         understands (up to {CURRENT}): run the newer cashgate that wrote it, or \
         restore a backup made before it",
        .dir.display()
    )]
    Newer { dir: PathBuf, found: u32 },
    #[error("{}: not a format version ({text:?}); it should hold one number", .path.display())]
    Unreadable { path: PathBuf, text: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads the folder's version; refuses one newer than [`CURRENT`].
pub fn read(dir: &Path) -> Result<Found, VersionError> {
    let path = dir.join(FORMAT_VERSION);
    let io = |source| VersionError::Io {
        path: path.clone(),
        source,
    };
    let text = match std::fs::File::open(&path) {
        Ok(file) => {
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut std::io::Read::take(file, VERSION_FILE_BYTES_MAX),
                &mut text,
            )
            .map_err(io)?;
            text
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let has_db = dir.join(crate::db::SLED_FOLDER).exists();
            return Ok(if has_db {
                Found::Version(UNVERSIONED)
            } else {
                Found::New
            });
        }
        Err(e) => return Err(io(e)),
    };
    let found: u32 = text
        .trim()
        .parse()
        .ok()
        .filter(|v| *v >= UNVERSIONED)
        .ok_or_else(|| VersionError::Unreadable {
            path: path.clone(),
            text: text.trim().to_owned(),
        })?;
    if found > CURRENT {
        return Err(VersionError::Newer {
            dir: dir.to_path_buf(),
            found,
        });
    }
    Ok(Found::Version(found))
}

/// Writes the folder's version: a private temporary file renamed over the
/// old one, so a crash leaves the old version or the new, never half.
pub fn write(dir: &Path, version: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(FORMAT_VERSION);
    let temporary = dir.join(format!("{FORMAT_VERSION}.new"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    writeln!(file, "{version}")?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_folder_an_unversioned_one_and_a_stamped_one_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), Found::New);
        std::fs::create_dir(dir.path().join("db")).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Found::Version(UNVERSIONED));
        write(dir.path(), CURRENT).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Found::Version(CURRENT));
        let text = std::fs::read_to_string(dir.path().join(FORMAT_VERSION)).unwrap();
        assert_eq!(text, format!("{CURRENT}\n"));
    }

    #[test]
    fn a_newer_or_unreadable_version_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), CURRENT + 1).unwrap();
        let e = read(dir.path()).unwrap_err();
        assert!(matches!(e, VersionError::Newer { found, .. } if found == CURRENT + 1));
        let message = e.to_string();
        assert!(
            message.contains("newer") && message.contains("restore a backup"),
            "{message}"
        );
        for bad in ["two", "", "0", "-1"] {
            std::fs::write(dir.path().join(FORMAT_VERSION), bad).unwrap();
            let e = read(dir.path()).unwrap_err();
            assert!(matches!(e, VersionError::Unreadable { .. }), "{bad}: {e}");
        }
    }
}
