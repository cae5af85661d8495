//! The hyper 1 server and its routes. `server` accepts connections within
//! the limits (`slots` counts them per address, `idle` closes silent
//! ones); `router` dispatches by method and path to one module per route
//! family (`pay` holds the customers' pay pages, `assets` their static
//! files); `error` maps every error to its status in one place.
//! Handlers parse input into domain types and call the use cases in
//! `crate::payments` and `crate::stores`; none touches the database.
//! `access` resolves who a request acts for (the admin token or a store
//! key) and decides what they may see, for the admin API and `console`.

mod access;
mod admin;
mod admin_keys;
mod approvals;
mod assets;
mod auth;
mod backup;
mod body;
mod check;
mod client_ip;
mod console;
mod error;
mod health;
mod idle;
mod ingest;
mod messages;
mod params;
mod pay;
mod poll;
mod rate;
mod reply;
mod router;
mod server;
mod slots;
mod views;

use std::sync::Arc;

pub use client_ip::{Client, Peer};
pub use console::Sessions;
pub use error::ApiError;
pub use router::handle;
pub use server::serve;

use crate::antispam::RateLimits;
use crate::approvals::Signer;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Secret;
use crate::payments::Payments;
use crate::stores::Stores;
use crate::whmcs::WhmcsClient;

/// What every handler may use: the use cases, and the request's context.
pub struct App {
    /// The payment use cases (check, ingest, decisions, reads).
    pub payments: Payments,
    /// The merchant stores' settings.
    pub stores: Stores,
    /// Request limits (governor), shared by every connection.
    pub limits: Arc<RateLimits>,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    /// Calls WHMCS for the store preflight.
    pub whmcs: WhmcsClient,
    /// Signs approval links and page nonces.
    pub signer: Arc<Signer>,
    /// Bearer token of the admin API.
    pub admin_token: Secret,
    /// Base of links in emails and of `poll_url`s given to other hosts.
    pub public_url: String,
    /// The console's signed-in sessions.
    pub sessions: Sessions,
}
