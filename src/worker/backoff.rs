//! Exponential backoff with jitter, for every retried effect.

use std::time::Duration;

/// `base × 2^tries`, capped at `max`, then scaled by a random factor in
/// [0.5, 1.0) so that retries of many entries do not arrive together.
pub fn backoff(tries: u32, base_ms: u64, max_ms: u64) -> Duration {
    let exp = base_ms.saturating_mul(1u64.checked_shl(tries.min(32)).unwrap_or(u64::MAX));
    let capped = exp.min(max_ms).max(1);
    let mut random = [0u8; 2];
    // Without randomness, fall back to the full delay: still bounded.
    let jitter = match getrandom::fill(&mut random) {
        Ok(()) => u64::from(u16::from_le_bytes(random)),
        Err(_) => u64::from(u16::MAX),
    };
    let scaled = capped / 2 + (capped / 2).saturating_mul(jitter) / u64::from(u16::MAX);
    Duration::from_millis(scaled.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_the_cap_and_jitter() {
        for tries in 0..40 {
            let d = backoff(tries, 1000, 60_000).as_millis();
            let full = (1000u128 << tries.min(32)).min(60_000);
            assert!(
                d >= full / 2 && d <= full,
                "tries {tries}: {d} ms of {full}"
            );
        }
    }
}
