//! The data folder as a whole: the files the daemon keeps beside the
//! database (admin token, approval key, format version), who may read
//! them ([`privacy`]), the folder's format version and its migrations
//! ([`version`], [`open`]), and consistent backups and restores
//! ([`backup`]). The database inside it is `crate::db`'s.
//!
//! The folder holds every store's WHMCS secret and ingest token: it is
//! created `0700`, every file in it `0600`.

pub mod backup;
pub mod open;
pub mod privacy;
pub mod version;

use std::io::Write;
use std::path::Path;

pub use backup::{BackupError, BackupReport, RestoreReport, backup, restore};
pub use open::{OpenError, Purpose, open};

/// The admin token the daemon generates when none is configured.
pub const ADMIN_TOKEN: &str = "admin_token";
/// The key approval links are signed with.
pub const APPROVAL_KEY: &str = "approval_key";
/// The folder's format version (`version`).
pub const FORMAT_VERSION: &str = "format_version";
/// Automatic backups made before a migration.
pub const BACKUPS: &str = "backups";

/// Creates `path` (never overwrites it) with mode 0600, writes `text` and a
/// newline, and syncs it. Creates the parent folder (0700) when missing.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Creates a folder and its missing parents with mode 0700. A folder that
/// exists already keeps its mode (`privacy` warns about it).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

/// Whether `path` is missing or an empty folder (a target that may be
/// written without losing anything).
pub fn is_absent_or_empty(path: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Makes a folder's entries (new files, renames) durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_file_is_owner_only_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("secret");
        write_private(&path, "s3cret").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("sub")), 0o700);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
        assert!(write_private(&path, "other").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
    }

    #[test]
    fn only_a_missing_or_empty_folder_is_a_free_target() {
        let dir = tempfile::tempdir().unwrap();
        assert!(is_absent_or_empty(&dir.path().join("missing")).unwrap());
        assert!(is_absent_or_empty(dir.path()).unwrap());
        std::fs::write(dir.path().join("x"), "").unwrap();
        assert!(!is_absent_or_empty(dir.path()).unwrap());
    }
}
