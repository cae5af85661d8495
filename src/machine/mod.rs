//! The payment state machine: eight states, the events that move between
//! them, the intents a transition records, and the transition table that
//! documents (and, in tests, checks) every edge.
//!
//! Nothing here performs I/O. A handler decides and records intents in the
//! context; the payments layer (`crate::payments`) makes the new state, its
//! audit entry and its outbox entries durable in one write; the workers
//! perform the intents.

mod diagram;
mod event;
mod flow;
mod instance;
mod intent;
mod policy;
mod state;
mod table;

pub use diagram::{render_dot, render_mermaid};
pub use event::{Actor, ActorKind, Assignment, Decision, Event, EventKind, Match, OperatorName};
pub use flow::State;
pub use instance::{Handled, Machine, RestoreError, Transition};
pub use intent::{DeadlineKind, Intent, IntentKind};
pub use policy::{Policy, Refusal};
pub use state::{HoldReason, StateName};
pub use table::{ActorRule, EDGES, Edge, EdgeFacts, Guard, has_edge, lookup};

#[cfg(test)]
mod tests;
