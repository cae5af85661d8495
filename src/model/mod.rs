//! Model-based testing: random operations applied both to the real store
//! (matching and its claim rules, the machine, timers, operators'
//! assignments, reopening the data folder) and to a small in-memory model
//! of what they should do; the
//! two must agree after every step, and `Payments::verify` must find docs/design.md's
//! invariants intact. The `payment_model` fuzz target and a proptest in
//! `cargo test` drive the same [`Harness`] with the same [`Op`]s.

mod harness;
mod ops;
mod world;

pub use harness::{Harness, Mismatch};

use arbitrary::Arbitrary;

/// Who makes a decision; the forged ones must be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Who {
    /// An approver the store lists.
    Approver,
    /// Someone with a valid-looking but unlisted address (forged).
    Stranger,
    /// An operator (admin API).
    Operator,
    /// A decision claiming to come from the system (forged).
    System,
}

/// How a WHMCS call ends, as the crediting worker would report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum WhmcsAnswer {
    Success,
    /// A refusal a human must fix.
    Permanent,
    /// Nothing was sent.
    Transient,
    /// The outcome was unknown; GetCredits then found the credit.
    UnknownFound,
    /// The outcome was unknown; GetCredits showed no credit.
    UnknownAbsent,
    /// The outcome was unknown and GetCredits could not settle it.
    UnknownRefused,
}

/// One step. Indexes are taken modulo what exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Op {
    /// A module check by client (0..4) from phone (0..2) for amount (0..2).
    Check { client: u8, phone: u8, amount: u8 },
    /// An SMS for transaction (0..8) from phone (0..2) of amount (0..2),
    /// dated `ahead` minutes in the future: 0 mostly, 0..15 for `ahead`
    /// from 240 on (past 10 minutes it is quarantined, never matched).
    Sms {
        tx: u8,
        phone: u8,
        amount: u8,
        ahead: u8,
    },
    /// An operator assigns a transaction to a payment (refused unless the
    /// transaction is free, the payment searching and the amounts equal).
    Assign { tx: u8, payment: u8 },
    /// Approve or reject a payment.
    Decide {
        payment: u8,
        approve: bool,
        who: Who,
    },
    /// Operator retry of a payment.
    Retry { payment: u8 },
    /// Operator says the credit is in WHMCS.
    MarkCredited { payment: u8 },
    /// The answer of a WHMCS call for a payment.
    Whmcs { payment: u8, answer: WhmcsAnswer },
    /// Business time moves on (minutes, 0..255): windows close.
    Advance { minutes: u8 },
    /// Close the data folder and open it again; machines are restored.
    Reboot,
}
