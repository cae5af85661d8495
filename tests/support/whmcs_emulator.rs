//! The WHMCS emulator for tests. It lives in the library as
//! `cashgate::whmcs_sim` (`cashgate demo` runs it too); this file only
//! re-exports it, for the `it` binary and harness-less test binaries
//! (which include it with `#[path]`), and adds `start`, which panics when
//! no port can be bound — fine in a test, not in the library.

#![allow(dead_code, unused_imports)]

pub use cashgate::whmcs_sim::*;

/// `WhmcsEmulator::start()`: the emulator on a free port of 127.0.0.1.
pub trait StartEmulator: Sized {
    fn start() -> impl std::future::Future<Output = Self> + Send;
}

impl StartEmulator for WhmcsEmulator {
    async fn start() -> WhmcsEmulator {
        WhmcsEmulator::try_start()
            .await
            .expect("bind the WHMCS emulator")
    }
}
