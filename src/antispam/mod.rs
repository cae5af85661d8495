//! Anti-spam (docs/design.md, "Anti-spam"): the hold rules that decide whether a
//! matched claim needs a human, and the request limits that answer abuse
//! with 429. The rules are pure; the store gathers their facts inside the
//! same transaction that claims the transaction.

mod limiter;
mod limits;
mod rules;

pub use limiter::{CappedLimiter, RetryAfter};
pub use limits::{IpKey, RateLimits};
pub use rules::{ClaimFacts, decide};
