//! Who may read the data folder: its owner only. The process's umask is
//! set to `077` before anything is created, so sled's own files (which
//! sled creates with the default mode) come out `0600` and folders `0700`;
//! at start the daemon warns when anything in the folder is open to group
//! or others (an older cashgate, a copy, a hand-made folder).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The most entries one walk of the data folder looks at (a folder holds
/// a few dozen; the bound keeps a start-up check of a strange folder short).
const WALK_ENTRIES_MAX: usize = 100_000;
/// How many exposed paths a warning names.
const WARNING_PATHS_MAX: usize = 5;
/// The mode bits that let group or others in.
const OPEN_TO_OTHERS: u32 = 0o077;

/// Sets the process's umask to `077`: everything it creates from now on is
/// owner-only. Process-wide, so call it before threads create files.
pub fn restrict_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(OPEN_TO_OTHERS));
}

/// Every file and folder in `dir` (itself included) whose mode lets group
/// or others in. Symbolic links are not followed.
pub fn exposed(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut |path, meta| {
        if meta.permissions().mode() & OPEN_TO_OTHERS != 0 {
            out.push(path.to_path_buf());
        }
        Ok(())
    })?;
    Ok(out)
}

/// Makes every folder in `dir` `0700` and every file `0600`. Returns how
/// many modes it changed.
pub fn make_private(dir: &Path) -> std::io::Result<usize> {
    let mut changed = 0;
    walk(dir, &mut |path, meta| {
        let mode = meta.permissions().mode() & 0o777;
        let private = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != private {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(private))?;
            changed += 1;
        }
        Ok(())
    })?;
    Ok(changed)
}

/// Logs a warning naming what in `dir` group or others may read.
pub fn warn_if_exposed(dir: &Path) {
    match exposed(dir) {
        Ok(paths) if paths.is_empty() => {}
        Ok(paths) => {
            let shown: Vec<String> = paths
                .iter()
                .take(WARNING_PATHS_MAX)
                .map(|p| p.display().to_string())
                .collect();
            tracing::warn!(
                data_dir = %dir.display(),
                exposed = paths.len(),
                paths = ?shown,
                "the data folder holds every store's WHMCS secret, yet group or others \
                 may read some of it: chmod -R go-rwx it (folders 0700, files 0600)"
            );
        }
        Err(e) => {
            tracing::warn!(data_dir = %dir.display(), error = %e, "cannot check the data folder's permissions");
        }
    }
}

/// Visits `dir` and everything under it (depth first, at most
/// [`WALK_ENTRIES_MAX`] entries), without following symbolic links.
fn walk(
    dir: &Path,
    visit: &mut dyn FnMut(&Path, &std::fs::Metadata) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(path) = stack.pop() {
        seen += 1;
        if seen > WALK_ENTRIES_MAX {
            break;
        }
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        visit(&path, &meta)?;
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn open_modes_are_found_and_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        std::fs::create_dir_all(root.join("db")).unwrap();
        std::fs::write(root.join("db").join("conf"), "x").unwrap();
        std::fs::write(root.join("admin_token"), "x").unwrap();
        set(&root, 0o755);
        set(&root.join("db"), 0o750);
        set(&root.join("db").join("conf"), 0o644);
        set(&root.join("admin_token"), 0o600);
        let mut found = exposed(&root).unwrap();
        found.sort();
        assert_eq!(
            found,
            vec![root.clone(), root.join("db"), root.join("db").join("conf")]
        );
        assert_eq!(make_private(&root).unwrap(), 3);
        assert!(exposed(&root).unwrap().is_empty());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("db").join("conf")), 0o600);
        assert_eq!(make_private(&root).unwrap(), 0, "nothing left to change");
    }
}
