//! Saves store keys' last use, noted in memory by every request, every
//! `console.key_last_use_save_ms` and once more when the daemon stops: a
//! key in constant use costs one small write a minute, not one a request.

use std::time::Duration;

use tokio::sync::watch;

use crate::store_keys::StoreKeys;

pub async fn run_key_use_saver(keys: StoreKeys, interval_ms: u64, mut stop: watch::Receiver<bool>) {
    let interval = Duration::from_millis(interval_ms.max(1));
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(interval) => *stop.borrow(),
            _ = stop.changed() => true,
        };
        save(&keys).await;
        if stopping {
            break;
        }
    }
}

async fn save(keys: &StoreKeys) {
    let saved = match keys.save_last_uses() {
        Ok(pending) => pending.durable().await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(0) => {}
        Ok(n) => tracing::debug!(keys = n, "store keys' last use saved"),
        Err(e) => tracing::warn!(error = %e, "store keys' last use could not be saved"),
    }
}
