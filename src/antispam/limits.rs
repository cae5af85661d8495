//! Every request limit, from the `limits.*` settings: checks per client
//! address; checks that open a new payment per client id, per phone and
//! per store; checks by reference number per address and per store;
//! ingestion per store; polls per address; wrong tokens per address. A
//! limited request gets 429 with `Retry-After` before it changes anything.
//!
//! No limit is keyed only by something a stranger can name (a phone, a
//! client id, a store's public budget), or the stranger could spend it and
//! lock out the customer it names (docs/claims-and-limits.md). The client
//! and phone buckets belong to whoever asks: a client address, or — for
//! the store's own WHMCS servers, which vouch for the logged-in client —
//! that client; and the store's servers have a budget of their own.

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
    /// New payments per store from anywhere but its servers.
    pub check_store: CappedLimiter<C>,
    /// New payments per store from its own servers (`check_ips`).
    pub check_store_servers: CappedLimiter<C>,
    pub ingest_store: CappedLimiter<C>,
    pub poll_ip: CappedLimiter<C>,
    /// Checks naming a transaction by reference, on top of the check
    /// limits (per IP, skipped for the store's own servers like checks).
    pub reference_ip: CappedLimiter<C>,
    pub reference_store: CappedLimiter<C>,
    /// Store preflights call WHMCS with the store's credentials: a few a
    /// minute, so nobody can use them to get the platform's IP banned.
    pub preflight_store: CappedLimiter<C>,
    /// Requests with a wrong ingest token, per address.
    pub auth_failures_ip: CappedLimiter<C>,
    /// Requests with a wrong admin (or metrics) token, per address: apart
    /// from ingest's, so nobody's wrong admin tokens stop a forwarder.
    pub admin_failures_ip: CappedLimiter<C>,
    /// Console sign-in attempts per client IP.
    pub sign_ins_ip: CappedLimiter<C>,
}

/// Who asks for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// A client address that is not one of the store's servers.
    Address(IpKey),
    /// One of the store's own WHMCS servers (`check_ips`), which sends the
    /// id of the client logged in to WHMCS.
    StoreServers,
}

/// Whose bucket a client or phone limit spends (a discriminant keeps the
/// keys of different askers apart).
#[derive(Hash)]
enum Holder {
    Address(IpKey),
    Client(u32),
    StoreServers,
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
            check_store_servers: make(
                "server_checks_per_minute_per_store",
                s.server_checks_per_minute_per_store,
            ),
            ingest_store: make("ingest_per_minute_per_store", s.ingest_per_minute_per_store),
            poll_ip: make("polls_per_minute_per_ip", s.polls_per_minute_per_ip),
            reference_ip: make(
                "references_per_minute_per_ip",
                s.references_per_minute_per_ip,
            ),
            reference_store: make(
                "references_per_minute_per_store",
                s.references_per_minute_per_store,
            ),
            preflight_store: make(
                "preflights_per_minute_per_store",
                s.preflights_per_minute_per_store,
            ),
            auth_failures_ip: make(
                "auth_failures_per_minute_per_ip",
                s.auth_failures_per_minute_per_ip,
            ),
            admin_failures_ip: make(
                "auth_failures_per_minute_per_ip",
                s.auth_failures_per_minute_per_ip,
            ),
            sign_ins_ip: make("sign_ins_per_minute_per_ip", s.sign_ins_per_minute_per_ip),
        }
    }

    pub fn all(&self) -> [&CappedLimiter<C>; 13] {
        [
            &self.check_ip,
            &self.check_client,
            &self.check_phone,
            &self.check_store,
            &self.check_store_servers,
            &self.ingest_store,
            &self.poll_ip,
            &self.reference_ip,
            &self.reference_store,
            &self.preflight_store,
            &self.auth_failures_ip,
            &self.admin_failures_ip,
            &self.sign_ins_ip,
        ]
    }

    /// The limits of a check that opens a new payment (a repeat of an open
    /// payment takes none): the asker's client and phone buckets and the
    /// store's budget for that kind of asker. All are looked at before any
    /// is spent, so a refusal costs the asker nothing.
    pub fn check_new_payment(
        &self,
        store: &StoreId,
        client: ClientId,
        phone: &Phone,
        asker: Asker,
    ) -> Result<(), RetryAfter> {
        let (client_holder, phone_holder, budget) = match asker {
            Asker::Address(ip) => (Holder::Address(ip), Holder::Address(ip), &self.check_store),
            Asker::StoreServers => (
                Holder::StoreServers,
                Holder::Client(client.get()),
                &self.check_store_servers,
            ),
        };
        let client_key = (store.as_str(), client.get(), client_holder);
        let phone_key = (store.as_str(), phone.as_str(), phone_holder);
        let store_key = store.as_str();
        self.check_client.peek(&client_key)?;
        self.check_phone.peek(&phone_key)?;
        budget.peek(&store_key)?;
        self.check_client.check(&client_key)?;
        self.check_phone.check(&phone_key)?;
        budget.check(&store_key)
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

    fn limits(per_minute: u32) -> RateLimits<governor::clock::FakeRelativeClock> {
        let settings = LimitSettings {
            checks_per_minute_per_client: per_minute,
            checks_per_minute_per_phone: per_minute,
            requests_per_minute_per_store: 1000,
            server_checks_per_minute_per_store: 1000,
            ..LimitSettings::default()
        };
        RateLimits::with_clock(&settings, governor::clock::FakeRelativeClock::default())
    }

    fn client(n: u32) -> ClientId {
        ClientId::try_from(n).unwrap()
    }

    #[test]
    fn an_askers_phone_bucket_is_its_own() {
        let l = limits(3);
        let store = StoreId::parse("5").unwrap();
        let phone = Phone::parse("01012345678").unwrap();
        let attacker = Asker::Address(IpKey::of("203.0.113.1".parse().unwrap()));
        for n in 1..=3 {
            assert_eq!(
                l.check_new_payment(&store, client(n), &phone, attacker),
                Ok(())
            );
        }
        assert!(
            l.check_new_payment(&store, client(4), &phone, attacker)
                .is_err()
        );
        let owner = Asker::Address(IpKey::of("192.0.2.1".parse().unwrap()));
        assert_eq!(
            l.check_new_payment(&store, client(42), &phone, owner),
            Ok(())
        );
        assert_eq!(
            l.check_new_payment(&store, client(42), &phone, Asker::StoreServers),
            Ok(())
        );
    }
}
