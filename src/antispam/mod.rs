//! Anti-spam (docs/design.md, "Anti-spam"; docs/claims-and-limits.md): the
//! hold rules that decide whether a matched claim needs a human, and the
//! request limits that answer abuse with 429. The rules are pure; the
//! store gathers their facts inside the same transaction that claims the
//! transaction.

mod limiter;
mod limits;
mod rules;

pub use limiter::{CappedLimiter, RetryAfter};
pub use limits::{Asker, IpKey, RateLimits};
pub use rules::{ClaimFacts, ClaimRules, decide};
