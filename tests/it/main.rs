//! cashgate's integration tests: one binary, a module per capability.

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod admin_access;
mod antispam;
mod approvals;
mod architecture;
mod backup;
mod browser_approvals;
mod browser_console;
mod browser_pay;
mod browser_support;
mod check;
mod claims;
mod connections;
mod console;
mod console_assign;
mod console_hostile;
mod console_stores;
mod console_whmcs;
mod crediting;
mod demo;
mod diagram;
mod format_version;
mod ingest;
mod invoices;
mod invoices_faults;
mod limits;
mod limits_customers;
mod machine_props;
mod malformed;
mod metrics;
mod model;
mod pay;
mod pay_malformed;
mod poll;
mod reference;
mod retention;
mod serve;
mod store_validation;
mod support;
mod whmcs_client;
mod whmcs_emulator_answers;
mod whmcs_invoices;
mod whmcs_invoices_preflight;
mod whmcs_module;
mod whmcs_module_contract;
mod whmcs_module_invoices;
mod whmcs_module_php;
mod whmcs_module_slow;
