//! Helpers shared by the integration tests.

pub mod api;
pub mod daemon;
pub mod whmcs;
