//! cashgate: matches Vodafone Cash wallet payments to WHMCS checks, holds
//! risky claims for a human, and credits each transaction exactly once.
//!
//! # Layout
//! Layered so that each layer calls only downward (docs/design.md, "The
//! layers"):
//! - surfaces: [`http`] (the hyper server, one module per route family),
//!   [`worker`] (timers and the outbox lanes), [`cli`], [`daemon`]
//!   (wiring) and [`demo`] (`cashgate demo`); they call the use cases only.
//! - use cases: [`payments`] (check, ingest, matching, claims, decisions,
//!   timers, crediting outcomes, queries, verify), [`stores`] (merchants'
//!   settings through a cache) and [`store_keys`] (the keys that open one
//!   store's admin API and console).
//! - [`machine`]: the statig payment machine, its transition table and the
//!   diagram drawn from it. Pure: no I/O.
//! - [`db`]: everything sled — trees, records, keys, indexes, kept counts,
//!   the one atomic write and group commit. No rules.
//! - below: [`domain`] (values parsed once at the edge), [`merchant`] (a
//!   store's settings), [`whmcs`] (the WHMCS client and its answer
//!   classifier), [`antispam`] (hold rules and rate limits), [`approvals`]
//!   (signed links, email, pages), [`pages`] (the customers' pay pages and
//!   their static files), [`locale`] (words and times people read, in
//!   English and Arabic), [`sms`] (the receipt parser),
//!   [`config`], [`clock`], [`metrics`], [`data_dir`] (private files).
//! - [`model`] (feature `model`): the model-based test harness.
//! - [`whmcs_sim`]: a WHMCS simulator (the tests' emulator, the demo's WHMCS),
//!   standing apart from the rest.

pub mod antispam;
pub mod approvals;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod data_dir;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod locale;
pub mod machine;
pub mod merchant;
pub mod metrics;
#[cfg(feature = "model")]
#[doc(hidden)]
pub mod model;
pub mod pages;
pub mod payments;
pub mod sms;
pub mod store_keys;
pub mod stores;
pub mod whmcs;
pub mod whmcs_sim;
pub mod worker;
