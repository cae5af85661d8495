//! cashgate's integration tests: one binary, a module per capability.

mod diagram;
mod machine_props;
mod serve;
mod support;
