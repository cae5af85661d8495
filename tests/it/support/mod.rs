//! Helpers shared by the integration tests.

pub mod api;
pub mod approvals;
pub mod binary;
pub mod browser;
pub mod console;
pub mod daemon;
pub mod outcomes;
pub mod pay;
pub mod waits;
pub mod whmcs;

#[path = "../../support/smtp_server.rs"]
pub mod smtp;
