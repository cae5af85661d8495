//! Backups and restores of real folders.

use std::sync::Arc;

use super::*;
use crate::data_dir::privacy::exposed;

fn open(dir: &Path) -> Db {
    Db::open_with_retry(dir, &DbOptions::default(), Arc::new(Metrics::new())).unwrap()
}

fn folder_with_data(dir: &Path) -> Db {
    let db = open(dir);
    db.write(|tx| {
        tx.put_store_settings(
            &crate::domain::StoreId::parse("5").unwrap(),
            &Default::default(),
        )
    })
    .unwrap()
    .durable_blocking()
    .unwrap();
    write_private(&dir.join(ADMIN_TOKEN), "a".repeat(64).as_str()).unwrap();
    write_private(&dir.join(APPROVAL_KEY), "k").unwrap();
    db
}

#[test]
fn a_backup_is_a_private_data_folder_with_a_manifest_and_restores_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let db = folder_with_data(&data);
    let to = tmp.path().join("backup");
    let report = backup(&db, &data, &to, CURRENT, 1 << 20).unwrap();
    assert_eq!(report.manifest.entries["stores"], 1);
    assert_eq!(
        report.manifest.files,
        vec![ADMIN_TOKEN, APPROVAL_KEY, FORMAT_VERSION]
    );
    assert!(exposed(&to).unwrap().is_empty(), "{:?}", exposed(&to));
    assert_eq!(read_manifest(&to).unwrap(), report.manifest);
    assert!(matches!(
        backup(&db, &data, &to, CURRENT, 1 << 20),
        Err(BackupError::TargetNotEmpty(_))
    ));
    db.close().unwrap();

    let restored = tmp.path().join("restored");
    let r = restore(&to, &restored).unwrap();
    assert_eq!(r.entries["stores"], 1);
    assert_eq!(
        std::fs::read_to_string(restored.join(ADMIN_TOKEN)).unwrap(),
        format!("{}\n", "a".repeat(64))
    );
    assert_eq!(
        version::read(&restored).unwrap(),
        version::Found::Version(CURRENT)
    );
    assert!(exposed(&restored).unwrap().is_empty());
    assert!(matches!(
        restore(&to, &restored),
        Err(BackupError::TargetNotEmpty(_))
    ));
}

#[test]
fn an_unfinished_backup_is_not_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let db = folder_with_data(&data);
    let to = tmp.path().join("backup");
    backup(&db, &data, &to, CURRENT, 1 << 20).unwrap();
    db.close().unwrap();
    std::fs::remove_file(to.join(MANIFEST)).unwrap();
    let target = tmp.path().join("restored");
    assert!(matches!(
        restore(&to, &target),
        Err(BackupError::NotABackup(_))
    ));
    assert!(!target.exists(), "nothing was written");
}
