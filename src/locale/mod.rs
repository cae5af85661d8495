//! Words and times as people read them, in English and Arabic: one place
//! for the names of states, events and hold reasons, and one formatter for
//! times in a store's time zone. The console, the approval page and the
//! approval email use these, so a state reads the same everywhere.

mod names;
mod time;

pub use names::{actor_text, created_text, event_text, reason_text, state_name};
pub use time::{date_time, relative, when};
