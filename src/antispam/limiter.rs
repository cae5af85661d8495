//! A governor keyed limiter with bounded memory. Keys are hashed to `u64`
//! with a per-process random key (so nobody can aim collisions), the map
//! is shared with us so we can see whether a key is new, and past
//! `keys_max` keys a new key is let through unlimited (counted and
//! logged) rather than added: the map stays bounded, and nobody who fills
//! it locks out everyone new — a shared fallback bucket did exactly that.
//! What bounds the total then is the per-store budgets, whose keys are
//! the stores. `cleanup` drops keys whose bucket has refilled
//! (`retain_recent`) and gives the memory back (`shrink_to_fit`).
//!
//! `peek` answers whether a key would be refused without spending from
//! it: wrong tokens are counted only when they fail, but an address that
//! used up its failures must not get its next token compared at all.

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
use governor::state::{NotKeyed, StateStore};
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

/// The same map, seen by a second limiter that decides without writing:
/// it hands governor's decision the stored state and keeps nothing.
#[derive(Clone)]
struct PeekStore(Arc<DashMapStateStore<u64>>);

impl StateStore for PeekStore {
    type Key = u64;

    fn measure_and_replace<T, F, E>(&self, key: &u64, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        // Reading an entry's state: a decision that always declines to
        // replace hands the stored value back unchanged.
        let stored = self.0.get(key).and_then(|state| {
            state
                .measure_and_replace(&NotKeyed::NonKey, Err::<((), Nanos), _>)
                .err()
                .flatten()
        });
        f(stored).map(|(decision, _)| decision)
    }
}

type Keyed<C> = RateLimiter<u64, SharedStore, C, NoOpMiddleware<<C as Clock>::Instant>>;
type Peeker<C> = RateLimiter<u64, PeekStore, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One named limit (e.g. checks per minute per IP).
pub struct CappedLimiter<C: Clock> {
    name: &'static str,
    keyed: Keyed<C>,
    /// Built right after `keyed` on the same clock and map (its time
    /// origin is a few nanoseconds later: it errs towards "limited").
    peeker: Peeker<C>,
    keys: SharedStore,
    keys_max: usize,
    hasher: RandomState,
    /// New keys let through unlimited because the map was full.
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
        let keyed = RateLimiter::new(quota, keys.clone(), clock.clone());
        let peeker = RateLimiter::new(quota, PeekStore(keys.0.clone()), clock);
        CappedLimiter {
            name,
            keyed,
            peeker,
            keys,
            keys_max,
            hasher: RandomState::new(),
            overflowed: AtomicU64::new(0),
        }
    }

    /// Takes one request for `key`, or says how long to wait.
    pub fn check<K: Hash>(&self, key: &K) -> Result<(), RetryAfter> {
        let hashed = self.hasher.hash_one(key);
        if !self.admits(hashed) {
            return Ok(());
        }
        let outcome = self.keyed.check_key(&hashed);
        outcome.map_err(|not_until| {
            self.retry_after(not_until.wait_time_from(self.keyed.clock().now()))
        })
    }

    /// Whether `check` would refuse `key` now, without taking a request.
    pub fn peek<K: Hash>(&self, key: &K) -> Result<(), RetryAfter> {
        let hashed = self.hasher.hash_one(key);
        if !self.keys.0.contains_key(&hashed) {
            return Ok(());
        }
        let outcome = self.peeker.check_key(&hashed);
        outcome.map_err(|not_until| {
            self.retry_after(not_until.wait_time_from(self.peeker.clock().now()))
        })
    }

    /// Whether the key is (or may become) one of the map's; past the cap a
    /// new key is let through unlimited, counted and logged.
    fn admits(&self, hashed: u64) -> bool {
        if self.keys.0.len() < self.keys_max || self.keys.0.contains_key(&hashed) {
            return true;
        }
        let overflowed = self.overflowed.fetch_add(1, Ordering::Relaxed);
        if overflowed.is_power_of_two() {
            tracing::warn!(
                limit = self.name,
                keys_max = self.keys_max,
                overflowed = overflowed + 1,
                "rate limiter is full: new keys are not limited by it until it is cleaned up"
            );
        }
        false
    }

    fn retry_after(&self, wait: Duration) -> RetryAfter {
        RetryAfter(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max_one()
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
    fn past_the_key_cap_new_keys_are_not_locked_out_and_known_keys_keep_their_limit() {
        let (l, _clock) = limiter(2, 3);
        for key in ["a", "b", "c"] {
            assert_eq!(l.check(&key), Ok(()));
        }
        assert_eq!(l.len(), 3);
        // Whoever filled the map cannot make every newcomer share a bucket.
        for key in ["d", "e", "f", "g", "h"] {
            assert_eq!(l.check(&key), Ok(()), "new key {key}");
        }
        assert_eq!(l.len(), 3, "the map did not grow");
        assert_eq!(l.overflowed(), 5);
        assert_eq!(l.check(&"a"), Ok(()), "a known key keeps its own bucket");
        assert!(l.check(&"a").is_err(), "and its limit");
    }

    #[test]
    fn peek_answers_like_check_without_spending() {
        let (l, clock) = limiter(2, 100);
        assert_eq!(l.peek(&"a"), Ok(()), "an unknown key is free");
        assert!(l.is_empty(), "peeking adds no key");
        l.check(&"a").unwrap();
        for _ in 0..10 {
            assert_eq!(l.peek(&"a"), Ok(()), "peeks spend nothing");
        }
        l.check(&"a").unwrap();
        assert_eq!(l.peek(&"a"), Err(RetryAfter(30)));
        assert_eq!(l.check(&"a"), Err(RetryAfter(30)));
        clock.advance(Duration::from_secs(30));
        assert_eq!(l.peek(&"a"), Ok(()));
        assert_eq!(l.check(&"a"), Ok(()));
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
