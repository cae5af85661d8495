//! Background loops (timers, outbox lanes, limiter cleanup, the retention
//! sweep). Each polls its index (no sled subscriptions), so a
//! restart resumes exactly where the data says, and each stops when the
//! daemon's stop signal fires.

mod backoff;
mod credit;
mod invoice;
mod key_uses;
mod limits;
mod mail;
mod outbox;
mod rematch;
mod retention;
mod timers;
mod whmcs_lane;

pub use backoff::backoff;
pub use credit::Crediter;
pub use key_uses::run_key_use_saver;
pub use limits::run_limiter_cleanup;
pub use mail::{MailSender, MailSetupError, Mailer, SendError};
pub use outbox::{Performer, perform_due, run_lane};
pub use rematch::Rematcher;
pub use retention::{retention_of, run_retention, sweep_once};
pub use timers::{fire_due_timers, run_timers};
pub use whmcs_lane::run_credits;
