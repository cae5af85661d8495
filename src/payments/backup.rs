//! A consistent backup of the open data folder while the daemon serves
//! (the admin API's `POST /admin/backup`, and `cashgate backup` through
//! it): writes wait while the database is copied (`crate::db` snapshot).

use std::path::Path;

use super::Payments;
use crate::data_dir::{BackupError, BackupReport};

impl Payments {
    /// Backs up `data_dir` (whose database this is, at `format_version`)
    /// into `to`, a missing or empty folder. Blocking: call it off the
    /// async threads.
    pub fn backup(
        &self,
        data_dir: &Path,
        to: &Path,
        format_version: u32,
    ) -> Result<BackupReport, BackupError> {
        let cache_bytes = self.options().db.cache_bytes;
        crate::data_dir::backup(self.db(), data_dir, to, format_version, cache_bytes)
    }
}
