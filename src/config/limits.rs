//! The `limits.*` settings: request rates, bodies, connections, timeouts
//! and the rate limiters' memory (README, "Configuration";
//! docs/claims-and-limits.md says what each rate limit protects).

use serde::{Deserialize, Serialize};

/// Connections served at once by default. A pay page's customer holds
/// about one while the status page long-polls, so this is thousands of
/// customers paying at the same moment across every store. Measured on a
/// release build (2-core machine, 2026-11-30): each waiting long poll
/// costs about 12–14 KiB of resident memory and each silent socket about
/// 7–8 KiB (2,000 and 8,000 connections), so 4096 stay under 60 MiB; the
/// process also needs that many open files (start-up warns when not).
const CONNECTIONS_MAX_DEFAULT: usize = 4096;

/// Request limits. The check limits count what a stranger cannot spend on
/// someone else's behalf (docs/claims-and-limits.md): per address; per
/// client and per phone only checks that open a new payment, and each
/// asker has its own bucket; per store, separate budgets for the store's
/// own WHMCS servers (`check_ips`) and for everyone else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Checks from one client address (not the store's `check_ips`),
    /// counted once the store is known to exist.
    pub checks_per_minute_per_ip: u32,
    /// Checks that open a new payment for one client id, per asker (a
    /// client address; through the store's servers, that client).
    pub checks_per_minute_per_client: u32,
    /// Checks that open a new payment naming one phone, per asker.
    pub checks_per_minute_per_phone: u32,
    /// Checks that open a new payment in one store, from anywhere but the
    /// store's `check_ips`.
    pub requests_per_minute_per_store: u32,
    /// Checks that open a new payment in one store from its own WHMCS
    /// servers (`check_ips`): a budget nobody else can spend.
    pub server_checks_per_minute_per_store: u32,
    pub ingest_per_minute_per_store: u32,
    pub polls_per_minute_per_ip: u32,
    /// Checks naming a transaction by its reference number (`trans_id`),
    /// per client address and per store, on top of the check limits:
    /// guessing references must stay slow.
    pub references_per_minute_per_ip: u32,
    pub references_per_minute_per_store: u32,
    /// Store preflights (which call the store's WHMCS).
    pub preflights_per_minute_per_store: u32,
    /// Wrong tokens (ingest, admin, metrics) per client address; past it,
    /// that address's tokens are not even compared until it refills.
    pub auth_failures_per_minute_per_ip: u32,
    /// Console sign-in attempts per client address (counted before the
    /// token is looked at, so guessing stays slow).
    pub sign_ins_per_minute_per_ip: u32,
    /// Largest request body accepted.
    pub body_bytes_max: usize,
    /// Open connections served at once; more wait in the accept queue.
    pub connections_max: usize,
    /// Connections one client address may hold at once, and long polls it
    /// may have waiting at once; a trusted proxy's sockets are not capped
    /// (its clients' polls are, by their forwarded address).
    pub connections_per_ip_max: usize,
    /// Time a new connection has to send its first byte.
    pub first_byte_timeout_ms: u64,
    /// Time a connection may stay silent (no byte either way, no request
    /// being answered) before it is closed.
    pub idle_timeout_ms: u64,
    /// Time a client has to send its request headers.
    pub header_read_timeout_ms: u64,
    /// Time a whole request may take, long polls included.
    pub request_timeout_ms: u64,
    /// Keys each rate limiter holds; past it, new keys are not limited by
    /// that limiter (the per-store budgets still are) rather than locked
    /// out together.
    pub limiter_keys_max: usize,
    /// How often limiters forget keys whose bucket refilled.
    pub limiter_cleanup_interval_ms: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            checks_per_minute_per_ip: 30,
            checks_per_minute_per_client: 10,
            checks_per_minute_per_phone: 10,
            requests_per_minute_per_store: 600,
            server_checks_per_minute_per_store: 600,
            ingest_per_minute_per_store: 600,
            polls_per_minute_per_ip: 600,
            references_per_minute_per_ip: 5,
            references_per_minute_per_store: 60,
            preflights_per_minute_per_store: 3,
            auth_failures_per_minute_per_ip: 30,
            sign_ins_per_minute_per_ip: 10,
            body_bytes_max: 64 * 1024,
            connections_max: CONNECTIONS_MAX_DEFAULT,
            connections_per_ip_max: 64,
            first_byte_timeout_ms: 5_000,
            idle_timeout_ms: 30_000,
            header_read_timeout_ms: 10_000,
            request_timeout_ms: 40_000,
            limiter_keys_max: 250_000,
            limiter_cleanup_interval_ms: 30_000,
        }
    }
}
