//! Files the daemon keeps in its data folder besides the database: the
//! admin token and the approval key. They are secrets, so they are written
//! once, readable by the owner only, and synced before they are used.

use std::io::Write;
use std::path::Path;

/// Creates `path` (never overwrites it) with mode 0600, writes `text` and a
/// newline, and syncs it. Creates the parent folder when it is missing.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_private_file_is_owner_only_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("secret");
        write_private(&path, "s3cret").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
        assert!(write_private(&path, "other").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
    }
}
