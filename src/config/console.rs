//! Settings of the operator console and of store keys (`console.*`).

use serde::{Deserialize, Serialize};

/// Shortest idle expiry and last-use save interval accepted.
const CONSOLE_MS_MIN: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// A console session with no request for this long is signed out.
    pub session_idle_ms: u64,
    /// Sessions kept at once (in memory); past it, signing in drops the
    /// session idle the longest.
    pub sessions_max: usize,
    /// How often store keys' last use is saved (kept in memory between).
    pub key_last_use_save_ms: u64,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            session_idle_ms: 30 * 60 * 1000,
            sessions_max: 10_000,
            key_last_use_save_ms: 60_000,
        }
    }
}

impl ConsoleSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.session_idle_ms < CONSOLE_MS_MIN || self.key_last_use_save_ms < CONSOLE_MS_MIN {
            return Err(format!(
                "console.session_idle_ms and console.key_last_use_save_ms must be at least {CONSOLE_MS_MIN}"
            ));
        }
        if self.sessions_max == 0 {
            return Err("console.sessions_max must be at least 1".into());
        }
        Ok(())
    }
}
