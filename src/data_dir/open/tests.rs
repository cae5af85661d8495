//! Opening folders of each kind: new, current, older, newer.

use super::*;
use crate::data_dir::version::UNVERSIONED;
use crate::data_dir::{FORMAT_VERSION, privacy::exposed};

fn open_for(dir: &Path, purpose: Purpose) -> Result<Opened, OpenError> {
    open(
        dir,
        &DbOptions::default(),
        Arc::new(Metrics::new()),
        purpose,
    )
}

#[test]
fn a_new_folder_is_private_and_stamped_and_inspecting_it_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(matches!(
        open_for(&dir, Purpose::Inspect),
        Err(OpenError::Missing(_))
    ));
    let opened = open_for(&dir, Purpose::Serve).unwrap();
    assert_eq!(opened.format_version, CURRENT);
    assert!(opened.migrated.is_none());
    opened.db.close().unwrap();
    assert_eq!(version::read(&dir).unwrap(), Found::Version(CURRENT));
    assert!(exposed(&dir).unwrap().is_empty(), "{:?}", exposed(&dir));
}

#[test]
fn an_unversioned_folder_is_backed_up_then_made_private_and_stamped() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let opened = open_for(&dir, Purpose::Serve).unwrap();
    opened.db.close().unwrap();
    // What a version 1 cashgate left: no version file, open modes.
    std::fs::remove_file(dir.join(FORMAT_VERSION)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(version::read(&dir).unwrap(), Found::Version(UNVERSIONED));
    let inspected = open_for(&dir, Purpose::Inspect).unwrap();
    assert_eq!(
        inspected.format_version, UNVERSIONED,
        "inspecting changes nothing"
    );
    inspected.db.close().unwrap();
    assert!(!exposed(&dir).unwrap().is_empty());

    let opened = open_for(&dir, Purpose::Serve).unwrap();
    let (from, backup) = opened.migrated.clone().unwrap();
    assert_eq!(from, UNVERSIONED);
    assert!(backup.starts_with(std::path::absolute(dir.join(BACKUPS)).unwrap()));
    let manifest = crate::data_dir::backup::read_manifest(&backup).unwrap();
    assert_eq!(manifest.format_version, UNVERSIONED);
    opened.db.close().unwrap();
    assert_eq!(version::read(&dir).unwrap(), Found::Version(CURRENT));
    assert!(exposed(&dir).unwrap().is_empty(), "{:?}", exposed(&dir));
}

#[test]
fn a_newer_folder_is_refused_before_sled_opens_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    version::write(&dir, CURRENT + 1).unwrap();
    for purpose in [Purpose::Serve, Purpose::Inspect] {
        let e = open_for(&dir, purpose).err().unwrap();
        assert!(
            matches!(e, OpenError::Version(VersionError::Newer { .. })),
            "{e}"
        );
    }
    assert!(
        !dir.join(crate::db::SLED_FOLDER).exists(),
        "sled never touched it"
    );
}
