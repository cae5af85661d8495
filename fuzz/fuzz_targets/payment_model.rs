//! Random operations — checks, SMS, approvals and rejections (valid and
//! forged), WHMCS outcomes, time passing, reboots — applied to the real
//! store and to a small model; they must agree after every step and the
//! invariants must hold (see `cashgate::model`).
#![no_main]

use cashgate::model::{Harness, Op};
use libfuzzer_sys::fuzz_target;

const OPS_MAX: usize = 200;

fuzz_target!(|ops: Vec<Op>| {
    let mut harness = match Harness::new() {
        Ok(h) => h,
        Err(e) => panic!("harness: {e}"),
    };
    for (step, op) in ops.into_iter().take(OPS_MAX).enumerate() {
        if let Err(e) = harness.apply(op) {
            panic!("step {step} {op:?}: {e}");
        }
    }
});
