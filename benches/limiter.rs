//! Rate limiter benchmark: pushes 1,000,000 distinct keys through the
//! check limiters (per IP, client, phone) and reports the cost per check,
//! peak memory, and memory after cleanup. Run: `cargo bench --bench limiter`.
//! (`BENCH_KEYS` changes the number of keys.)

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use cashgate::antispam::{IpKey, RateLimits};
use cashgate::config::LimitSettings;
use cashgate::domain::StoreId;
use governor::clock::FakeRelativeClock;

/// Resident and peak resident memory of this process, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn per_check(started: Instant, checks: u64) -> f64 {
    started.elapsed().as_nanos() as f64 / checks as f64
}

fn run(keys: u32, keys_max: usize) {
    let settings = LimitSettings {
        limiter_keys_max: keys_max,
        ..LimitSettings::default()
    };
    let clock = FakeRelativeClock::default();
    let limits = RateLimits::with_clock(&settings, clock.clone());
    let store = StoreId::parse("5").expect("store id");
    let (rss_before, _) = memory_mib();

    let started = Instant::now();
    let mut refused = 0u64;
    for n in 0..keys {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + n));
        if limits.check_ip.check(&IpKey::of(ip)).is_err() {
            refused += 1;
        }
    }
    let ip_ns = per_check(started, u64::from(keys));

    // Keys are built in the loop (no vectors), so memory is the limiters'.
    let started = Instant::now();
    for n in 0..keys {
        let _ = limits
            .check_client
            .check(&(store.as_str(), n % 2_000_000_000 + 1));
    }
    let client_ns = per_check(started, u64::from(keys));

    let started = Instant::now();
    for n in 0..keys {
        // A phone's key is (store, 11-digit text); its number stands in here.
        let _ = limits
            .check_phone
            .check(&(store.as_str(), 1_000_000_000u64 + u64::from(n)));
    }
    let phone_ns = per_check(started, u64::from(keys));

    let held = limits.keys();
    let (rss_full, peak) = memory_mib();
    let started = Instant::now();
    clock.advance(Duration::from_secs(61));
    limits.cleanup();
    let cleanup_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (rss_after, _) = memory_mib();
    println!(
        "keys={keys} keys_max/limiter={keys_max}: per check: ip {ip_ns:.0} ns, client {client_ns:.0} ns, phone {phone_ns:.0} ns; \
         {refused} ip checks refused (past the cap new keys are let through); keys held {held}; \
         RSS {rss_before:.1} -> {rss_full:.1} MiB (peak {peak:.1}), cleanup {cleanup_ms:.0} ms -> RSS {rss_after:.1} MiB, keys {}",
        limits.keys()
    );
}

fn main() {
    let keys: u32 = std::env::var("BENCH_KEYS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(1_000_000);
    // The default cap, then a cap large enough to hold every key.
    run(keys, LimitSettings::default().limiter_keys_max);
    run(keys, usize::try_from(keys).unwrap_or(usize::MAX));
}
