//! Helpers shared by the integration tests.

pub mod api;
pub mod approvals;
pub mod binary;
pub mod daemon;

#[path = "../../support/smtp_server.rs"]
pub mod smtp;
