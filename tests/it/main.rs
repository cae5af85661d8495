//! cashgate's integration tests: one binary, a module per capability.

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod admin_access;
mod antispam;
mod approvals;
mod architecture;
mod browser_approvals;
mod browser_console;
mod browser_support;
mod check;
mod connections;
mod console;
mod console_hostile;
mod crediting;
mod diagram;
mod ingest;
mod limits;
mod machine_props;
mod malformed;
mod metrics;
mod model;
mod poll;
mod serve;
mod support;
mod whmcs_client;
mod whmcs_emulator_answers;
mod whmcs_invoices;
mod whmcs_invoices_preflight;
mod whmcs_module;
mod whmcs_module_contract;
mod whmcs_module_php;
