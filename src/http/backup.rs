//! `POST /admin/backup` (admin token): a consistent backup of the running
//! daemon's data folder into `{"to": "/absolute/folder"}` on the daemon's
//! host — a missing or empty folder. `cashgate backup` calls it when the
//! daemon holds the folder. Writes wait while the database is copied; the
//! reply says how long. A backup that cannot be written (the folder is not
//! empty, a disk error) is a `409` with the reason: nothing about the
//! served data changed.

use std::path::PathBuf;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::reply::{Body, json};
use super::{ApiError, App, body};
use crate::data_dir::BackupError;
use crate::data_dir::version::CURRENT;

/// The longest target path accepted.
const TARGET_CHARS_MAX: usize = 4096;

pub async fn backup(app: &App, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let to = target(&bytes)?;
    let payments = app.payments.clone();
    let data_dir = app.settings.data_dir.clone();
    let report = tokio::task::spawn_blocking(move || payments.backup(&data_dir, &to, CURRENT))
        .await
        .map_err(|e| ApiError::Conflict(format!("the backup stopped: {e}")))?
        .map_err(|e: BackupError| ApiError::Conflict(e.to_string()))?;
    tracing::info!(
        to = %report.to.display(),
        writes_paused_ms = report.writes_paused_ms,
        took_ms = report.took_ms,
        entries = report.manifest.entries.values().sum::<u64>(),
        "backup written"
    );
    Ok(json(StatusCode::OK, &report))
}

/// `{"to": "/absolute/folder"}`.
fn target(bytes: &[u8]) -> Result<PathBuf, ApiError> {
    let bad = || ApiError::InvalidRequest("the body must be {\"to\": \"/absolute/folder\"}".into());
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad())?;
    let to = value
        .get("to")
        .and_then(|t| t.as_str())
        .filter(|t| t.chars().count() <= TARGET_CHARS_MAX)
        .map(PathBuf::from)
        .ok_or_else(bad)?;
    if !to.is_absolute() {
        return Err(bad());
    }
    Ok(to)
}
