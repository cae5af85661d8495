//! cashgate's integration tests: one binary, a module per capability.

mod admin;
mod antispam;
mod approvals;
mod check;
mod connections;
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
