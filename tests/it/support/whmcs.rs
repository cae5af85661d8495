//! The WHMCS emulator, shared with harness-less test binaries through
//! `#[path]` (see `tests/support/whmcs_emulator.rs`).

#[path = "../../support/whmcs_emulator.rs"]
mod emulator;

pub use emulator::*;
