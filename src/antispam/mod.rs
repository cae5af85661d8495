//! Anti-spam: the hold rules that decide whether a matched claim needs a
//! human (DESIGN.md "Anti-spam"). The rules are pure; the store gathers
//! their facts inside the same transaction that claims the transaction.

mod rules;

pub use rules::{Facts, decide};
