//! A governor keyed limiter with bounded memory. Keys are hashed to `u64`
//! with a per-process random key (so nobody can aim collisions), the map
//! is shared with us so we can see whether a key is new, and past
//! `keys_max` keys every new key shares one fallback limiter: fail closed
//! rather than grow without bound. `cleanup` drops keys whose bucket has
//! refilled (`retain_recent`) and gives the memory back (`shrink_to_fit`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::{InMemoryState, NotKeyed, StateStore};
use governor::{Quota, RateLimiter};

/// The map behind the keyed limiter, shared so we can ask whether a key
/// is present.
#[derive(Clone, Default)]
pub struct SharedStore(Arc<DashMapStateStore<u64>>);

impl StateStore for SharedStore {
    type Key = u64;

    fn measure_and_replace<T, F, E>(&self, key: &u64, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<u64> for SharedStore {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&*self.0, drop_below);
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&*self.0);
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

type Keyed<C> = RateLimiter<u64, SharedStore, C, NoOpMiddleware<<C as Clock>::Instant>>;
type Direct<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One named limit (e.g. checks per minute per IP).
pub struct CappedLimiter<C: Clock> {
    name: &'static str,
    keyed: Keyed<C>,
    keys: SharedStore,
    fallback: Direct<C>,
    keys_max: usize,
    hasher: RandomState,
    /// Checks sent to the fallback since start (logged, and for metrics).
    overflowed: AtomicU64,
}

/// How long to wait before trying again, rounded up to whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl<C: Clock + Clone> CappedLimiter<C> {
    /// `per_minute` requests a minute with a burst of the same size.
    pub fn per_minute(name: &'static str, per_minute: u32, keys_max: usize, clock: C) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        // Explicit: the refill period is a minute over n, the burst is n.
        let quota = Quota::with_period(Duration::from_secs(60) / n.get())
            .unwrap_or_else(|| Quota::per_minute(n))
            .allow_burst(n);
        let keys = SharedStore::default();
        CappedLimiter {
            name,
            keyed: RateLimiter::new(quota, keys.clone(), clock.clone()),
            keys,
            fallback: RateLimiter::direct_with_clock(quota, clock),
            keys_max,
            hasher: RandomState::new(),
            overflowed: AtomicU64::new(0),
        }
    }

    /// Takes one request for `key`, or says how long to wait.
    pub fn check<K: Hash>(&self, key: &K) -> Result<(), RetryAfter> {
        let hashed = self.hasher.hash_one(key);
        let clock = self.keyed.clock();
        let outcome = if self.keys.0.len() < self.keys_max || self.keys.0.contains_key(&hashed) {
            self.keyed.check_key(&hashed)
        } else {
            let overflowed = self.overflowed.fetch_add(1, Ordering::Relaxed);
            if overflowed.is_power_of_two() {
                tracing::warn!(
                    limit = self.name,
                    keys_max = self.keys_max,
                    overflowed = overflowed + 1,
                    "rate limiter is full: new keys share one fallback limit"
                );
            }
            self.fallback.check()
        };
        outcome.map_err(|not_until| {
            let wait = not_until.wait_time_from(clock.now());
            RetryAfter(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max_one()
        })
    }

    /// Forgets keys whose bucket is full again and returns the memory.
    pub fn cleanup(&self) {
        self.keyed.retain_recent();
        self.keyed.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.keys.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.0.is_empty()
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }
}

impl RetryAfter {
    fn max_one(self) -> RetryAfter {
        RetryAfter(self.0.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter(
        per_minute: u32,
        keys_max: usize,
    ) -> (CappedLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            CappedLimiter::per_minute("test", per_minute, keys_max, clock.clone()),
            clock,
        )
    }

    #[test]
    fn the_burst_is_the_per_minute_quota_and_refills_evenly() {
        let (l, clock) = limiter(6, 100);
        for _ in 0..6 {
            assert_eq!(l.check(&"a"), Ok(()));
        }
        assert_eq!(l.check(&"a"), Err(RetryAfter(10)), "one request every 10 s");
        assert_eq!(l.check(&"b"), Ok(()), "other keys are not affected");
        clock.advance(Duration::from_secs(9));
        assert_eq!(l.check(&"a"), Err(RetryAfter(1)));
        clock.advance(Duration::from_secs(1));
        assert_eq!(l.check(&"a"), Ok(()));
        assert_eq!(l.check(&"a"), Err(RetryAfter(10)));
    }

    #[test]
    fn past_the_key_cap_new_keys_share_the_fallback_and_known_keys_keep_theirs() {
        let (l, _clock) = limiter(2, 3);
        for key in ["a", "b", "c"] {
            assert_eq!(l.check(&key), Ok(()));
        }
        assert_eq!(l.len(), 3);
        // New keys d and e share one bucket of 2: the third new key is refused.
        assert_eq!(l.check(&"d"), Ok(()));
        assert_eq!(l.check(&"e"), Ok(()));
        assert!(l.check(&"f").is_err());
        assert_eq!(l.len(), 3, "the map did not grow");
        assert_eq!(l.overflowed(), 3);
        assert_eq!(
            l.check(&"a"),
            Ok(()),
            "a known key still has its own bucket"
        );
    }

    #[test]
    fn cleanup_forgets_keys_whose_bucket_refilled() {
        let (l, clock) = limiter(60, 1_000_000);
        for key in 0..1000u32 {
            l.check(&key).unwrap();
        }
        clock.advance(Duration::from_millis(500));
        l.check(&0u32).unwrap();
        l.cleanup();
        assert_eq!(l.len(), 1000, "buckets not yet full are kept");
        clock.advance(Duration::from_secs(61));
        l.cleanup();
        assert!(l.is_empty());
    }
}
