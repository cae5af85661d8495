//! The `claims.*` and `retention.*` settings: the claim rules every store
//! has, how far in the future a transfer's time may be, and what the
//! retention sweep removes and how fast (docs/claims-and-limits.md).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimSettings {
    /// How much earlier than the transfer's own time a payment may have
    /// been created and still count as checked after paying (clock skew,
    /// and an SMS gives its time to the minute); earlier is held as
    /// `checked_before_transfer`.
    pub checked_before_transfer_grace_ms: u64,
    /// How far past the daemon's clock a transfer's own time may be;
    /// further is a misread date, quarantined and never matched.
    pub transfer_time_skew_max_ms: u64,
}

impl Default for ClaimSettings {
    fn default() -> Self {
        ClaimSettings {
            checked_before_transfer_grace_ms: 5 * 60 * 1000,
            transfer_time_skew_max_ms: 10 * 60 * 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    /// Days a payment that ended `expired` without a transaction, and a
    /// quarantine entry, are kept; 0 keeps them forever. Payments that
    /// touched money are always kept.
    pub keep_days: u32,
    /// Most payments (and most quarantine entries) one sweep removes;
    /// each payment is one write.
    pub batch_max: usize,
    /// How often the sweep looks (it goes on at once while batches are full).
    pub interval_ms: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            keep_days: 30,
            batch_max: 1000,
            interval_ms: 60_000,
        }
    }
}

impl RetentionSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.batch_max == 0 || self.interval_ms == 0 {
            return Err("retention.batch_max and retention.interval_ms must be at least 1".into());
        }
        Ok(())
    }
}
