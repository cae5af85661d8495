//! cashgate: matches Vodafone Cash wallet payments to WHMCS checks, holds
//! risky claims for a human, and credits each transaction exactly once.
//!
//! # Layout
//! - [`domain`]: phone, amount, client id and ids, parsed once at the edge.
//! - [`payment`]: the statig payment machine, its transition table and the
//!   diagram drawn from it. Pure: no I/O.
//! - [`store`]: everything sled — records, indexes, the one "apply a
//!   transition" write, matching (a check claims a transaction or a
//!   transaction a check, atomically), the outbox, timers and group commit.
//! - [`sms`]: the Vodafone Cash SMS receipt parser and its canonical text.
//! - [`merchant`]: a merchant store's settings (WHMCS, rate, anti-spam).
//! - [`whmcs`]: the WHMCS API client (`AddCredit`, `GetCredits`, preflight)
//!   and the pure classifier of its answers.
//! - [`antispam`]: the hold rules (and, with the API, the rate limits).
//! - [`approvals`]: signed approval links, the approval email and pages.
//! - [`model`]: the model-based test harness (fuzz target and proptest).
//! - [`metrics`]: Prometheus metrics.
//! - [`config`]: typed settings from defaults, TOML and `CASHGATE_*`.
//! - [`clock`]: the one source of business time, movable in tests.
//! - [`http`]: the hyper server and one module per route family.
//! - [`worker`]: background loops that fire due timers and perform outbox work.
//! - [`cli`]: logging, signals and the offline `store` commands.
//! - [`daemon`]: wires store, workers and server together.

pub mod antispam;
pub mod approvals;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod data_dir;
pub mod db;
pub mod domain;
pub mod http;
pub mod machine;
pub mod merchant;
pub mod metrics;
#[cfg(feature = "model")]
#[doc(hidden)]
pub mod model;
pub mod payments;
pub mod sms;
pub mod stores;
pub mod whmcs;
pub mod worker;
