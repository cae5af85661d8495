//! Connection slots per client address. Each address may hold at most
//! `connections_per_ip_max` connections at once, and at most as many polls
//! waiting at once, so that one address (or a few) cannot take every slot
//! of `connections_max` and lock everyone else out.
//!
//! Sockets are counted by the peer's address, except trusted proxies: a
//! reverse proxy carries every customer's connections from one address,
//! so its sockets count only against `connections_max`. Polls are counted
//! by the client's address as `client_ip` resolves it, which behind a
//! trusted proxy is the customer's own: a customer behind the proxy still
//! cannot hold more than the cap in waiting polls, and other customers of
//! the same proxy are not locked out by them. A direct client's polls each
//! hold a connection too, so for it the socket count is the one that binds.
//!
//! IPv6 addresses are counted by their /64, as the rate limits key them.
//! Entries live only while their count is above zero, so the tables hold
//! at most one entry per open connection or waiting poll.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http::Extensions;

use super::ApiError;
use crate::antispam::IpKey;

/// `Retry-After` of a connection or poll refused for its address's cap.
const SLOT_RETRY_AFTER_S: u64 = 2;
/// Refusals are logged as one summary line at most this often, so that a
/// flood of them does not flood the log too.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Counts of what each address holds, refusing past `max`.
struct AddressTable {
    max: usize,
    held: Mutex<HashMap<IpKey, usize>>,
}

/// One connection or poll of an address; the count drops with it.
pub struct Slot {
    table: Arc<AddressTable>,
    key: IpKey,
}

/// Why a socket was not served.
#[derive(Debug)]
pub struct AddressFull;

/// The daemon's connection slots, shared by the accept loop and (through
/// each request's extensions) the poll handler.
pub struct ConnectionSlots {
    sockets: Arc<AddressTable>,
    polls: Arc<AddressTable>,
    trusted_proxies: Vec<IpAddr>,
    refusals: RefusalLog,
}

impl ConnectionSlots {
    pub fn new(per_address_max: usize, trusted_proxies: &[IpAddr]) -> ConnectionSlots {
        ConnectionSlots {
            sockets: AddressTable::new(per_address_max),
            polls: AddressTable::new(per_address_max),
            trusted_proxies: trusted_proxies.iter().map(IpAddr::to_canonical).collect(),
            refusals: RefusalLog::default(),
        }
    }

    /// A slot for a new socket from `peer`: `Ok(None)` for a trusted proxy
    /// (not counted per address), `Err` when `peer` holds the cap already.
    pub fn hold_socket(&self, peer: IpAddr) -> Result<Option<Slot>, AddressFull> {
        if self.trusted_proxies.contains(&peer.to_canonical()) {
            return Ok(None);
        }
        match self.sockets.try_hold(peer) {
            Some(slot) => Ok(Some(slot)),
            None => {
                self.refusals.note("connection");
                Err(AddressFull)
            }
        }
    }

    /// A slot for a poll of `client` (the resolved client address).
    pub fn hold_poll(&self, client: IpAddr) -> Result<Slot, ApiError> {
        self.polls.try_hold(client).ok_or_else(|| {
            self.refusals.note("poll");
            ApiError::RateLimited {
                retry_after_s: SLOT_RETRY_AFTER_S,
            }
        })
    }

    /// What a refused socket is told before it is closed: a 429 in the
    /// API's JSON error shape.
    pub fn refusal_reply() -> Vec<u8> {
        let body = format!(
            "{{\"status\":false,\"error\":\"rate_limited\",\"message\":\"Too many connections from your address. Please try again in {SLOT_RETRY_AFTER_S} seconds.\"}}"
        );
        format!(
            "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: {SLOT_RETRY_AFTER_S}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}

/// Holds a waiting-poll slot of `client` while the returned value lives.
/// `Ok(None)` when the request did not come through the server (no slots
/// in its extensions), as in handler tests.
pub fn hold_poll(extensions: &Extensions, client: IpAddr) -> Result<Option<Slot>, ApiError> {
    match extensions.get::<Arc<ConnectionSlots>>() {
        Some(slots) => slots.hold_poll(client).map(Some),
        None => Ok(None),
    }
}

impl AddressTable {
    fn new(max: usize) -> Arc<AddressTable> {
        Arc::new(AddressTable {
            max,
            held: Mutex::new(HashMap::new()),
        })
    }

    fn try_hold(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let key = IpKey::of(ip);
        let mut held = self.lock();
        let count = held.entry(key).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot {
            table: self.clone(),
            key,
        })
    }

    fn release(&self, key: IpKey) {
        if let Entry::Occupied(mut entry) = self.lock().entry(key) {
            if *entry.get() <= 1 {
                entry.remove();
            } else {
                *entry.get_mut() -= 1;
            }
        }
    }

    /// The counts stay consistent even if a holder panicked: every change
    /// is a single insert, increment or decrement.
    fn lock(&self) -> MutexGuard<'_, HashMap<IpKey, usize>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.table.release(self.key);
    }
}

/// Counts refusals and logs them as a summary at most once a minute.
#[derive(Default)]
struct RefusalLog {
    state: Mutex<(u64, Option<Instant>)>,
}

impl RefusalLog {
    fn note(&self, what: &'static str) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (count, last) = &mut *state;
        *count += 1;
        let now = Instant::now();
        if last.is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_INTERVAL) {
            tracing::warn!(
                refused = *count,
                latest = what,
                "refused connections or polls past limits.connections_per_ip_max"
            );
            *count = 0;
            *last = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_the_cap_and_gets_slots_back_as_they_drop() {
        let slots = ConnectionSlots::new(2, &[]);
        let a = slots.hold_socket(ip("203.0.113.1")).unwrap();
        let b = slots.hold_socket(ip("203.0.113.1")).unwrap();
        assert!(slots.hold_socket(ip("203.0.113.1")).is_err());
        assert!(
            slots.hold_socket(ip("203.0.113.2")).unwrap().is_some(),
            "another address is not affected"
        );
        drop(a);
        let c = slots.hold_socket(ip("203.0.113.1")).unwrap();
        drop((b, c));
        assert_eq!(slots.sockets.addresses(), 0, "no entry outlives its slots");
    }

    #[test]
    fn trusted_proxies_are_not_capped_but_their_clients_polls_are() {
        let slots = ConnectionSlots::new(1, &[ip("10.0.0.1")]);
        let through_proxy: Vec<_> = (0..5)
            .map(|_| slots.hold_socket(ip("::ffff:10.0.0.1")).unwrap())
            .collect();
        assert!(through_proxy.iter().all(Option::is_none), "uncounted");
        let waiting = slots.hold_poll(ip("198.51.100.7")).unwrap();
        let refused = slots.hold_poll(ip("198.51.100.7")).err().unwrap();
        assert!(matches!(refused, ApiError::RateLimited { .. }));
        assert!(slots.hold_poll(ip("198.51.100.8")).is_ok());
        drop(waiting);
        assert!(slots.hold_poll(ip("198.51.100.7")).is_ok());
    }

    #[test]
    fn ipv6_addresses_share_the_cap_of_their_64() {
        let slots = ConnectionSlots::new(1, &[]);
        let _held = slots.hold_socket(ip("2001:db8:1:2::1")).unwrap();
        assert!(slots.hold_socket(ip("2001:db8:1:2::ffff")).is_err());
        assert!(slots.hold_socket(ip("2001:db8:1:3::1")).is_ok());
    }

    #[test]
    fn the_refusal_is_a_complete_429_with_the_api_error_shape() {
        let reply = String::from_utf8(ConnectionSlots::refusal_reply()).unwrap();
        let (head, body) = reply.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 429 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"], "rate_limited");
    }
}
