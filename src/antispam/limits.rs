//! Every request limit of docs/design.md "Anti-spam", from the `limits.*`
//! settings: checks per client IP, per (store, client id), per (store,
//! phone) and per store; ingestion per store; polls per IP. A limited
//! request gets 429 with `Retry-After` before it changes anything.

use std::net::IpAddr;

use governor::clock::{Clock, DefaultClock};

use super::limiter::{CappedLimiter, RetryAfter};
use crate::config::LimitSettings;
use crate::domain::{ClientId, Phone, StoreId};

/// The limiters, sharing one clock (governor's monotonic clock in
/// production, a fake one in tests).
pub struct RateLimits<C: Clock + Clone = DefaultClock> {
    pub check_ip: CappedLimiter<C>,
    pub check_client: CappedLimiter<C>,
    pub check_phone: CappedLimiter<C>,
    pub check_store: CappedLimiter<C>,
    pub ingest_store: CappedLimiter<C>,
    pub poll_ip: CappedLimiter<C>,
    /// Store preflights call WHMCS with the store's credentials: a few a
    /// minute, so nobody can use them to get the platform's IP banned.
    pub preflight_store: CappedLimiter<C>,
    /// Requests with a wrong token (ingestion and the admin API, per
    /// client IP).
    pub auth_failures_ip: CappedLimiter<C>,
    /// Console sign-in attempts per client IP.
    pub sign_ins_ip: CappedLimiter<C>,
}

impl RateLimits<DefaultClock> {
    pub fn new(settings: &LimitSettings) -> RateLimits<DefaultClock> {
        RateLimits::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimits<C> {
    pub fn with_clock(s: &LimitSettings, clock: C) -> RateLimits<C> {
        let max = s.limiter_keys_max;
        let make =
            |name, per_minute| CappedLimiter::per_minute(name, per_minute, max, clock.clone());
        RateLimits {
            check_ip: make("checks_per_minute_per_ip", s.checks_per_minute_per_ip),
            check_client: make(
                "checks_per_minute_per_client",
                s.checks_per_minute_per_client,
            ),
            check_phone: make("checks_per_minute_per_phone", s.checks_per_minute_per_phone),
            check_store: make(
                "requests_per_minute_per_store",
                s.requests_per_minute_per_store,
            ),
            ingest_store: make("ingest_per_minute_per_store", s.ingest_per_minute_per_store),
            poll_ip: make("polls_per_minute_per_ip", s.polls_per_minute_per_ip),
            preflight_store: make(
                "preflights_per_minute_per_store",
                s.preflights_per_minute_per_store,
            ),
            auth_failures_ip: make(
                "auth_failures_per_minute_per_ip",
                s.auth_failures_per_minute_per_ip,
            ),
            sign_ins_ip: make("sign_ins_per_minute_per_ip", s.sign_ins_per_minute_per_ip),
        }
    }

    pub fn all(&self) -> [&CappedLimiter<C>; 9] {
        [
            &self.check_ip,
            &self.check_client,
            &self.check_phone,
            &self.check_store,
            &self.ingest_store,
            &self.poll_ip,
            &self.preflight_store,
            &self.auth_failures_ip,
            &self.sign_ins_ip,
        ]
    }

    /// The per-store, per-client and per-phone limits of one check (the
    /// per-IP limit is taken separately, before the store is known).
    pub fn check_fields(
        &self,
        store: &StoreId,
        client: ClientId,
        phone: &Phone,
    ) -> Result<(), RetryAfter> {
        self.check_store.check(&store.as_str())?;
        self.check_client.check(&(store.as_str(), client.get()))?;
        self.check_phone.check(&(store.as_str(), phone.as_str()))
    }

    /// Drops refilled keys in every limiter and returns their memory.
    pub fn cleanup(&self) {
        for limiter in self.all() {
            limiter.cleanup();
        }
    }

    /// Keys held across all limiters.
    pub fn keys(&self) -> usize {
        self.all().iter().map(|l| l.len()).sum()
    }
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (one
/// customer's network), IPv4-mapped IPv6 as the IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpKey {
    V4(u32),
    V6Net(u64),
}

impl IpKey {
    pub fn of(ip: IpAddr) -> IpKey {
        match ip {
            IpAddr::V4(v4) => IpKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpKey::V4(u32::from(v4)),
                None => IpKey::V6Net(u64::try_from(u128::from(v6) >> 64).unwrap_or(u64::MAX)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(IpKey::of(a), IpKey::of(b));
        assert_ne!(IpKey::of(a), IpKey::of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(IpKey::of(mapped), IpKey::of(v4));
    }
}
