//! The machine as the rest of cashgate sees it: restore a payment's state,
//! hand it one event, get back either the transition taken (with its
//! intents) or the reason it was refused.

use jiff::Timestamp;
use serde::Serialize;
use statig::blocking::{InitializedStateMachine, IntoStateMachineExt, UninitializedStateMachine};

use super::event::Event;
use super::flow::{Ctx, PaymentFlow, State};
use super::intent::Intent;
use super::policy::{Policy, Refusal};
use super::state::StateName;
use super::table;

/// An edge the machine took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: StateName,
    pub to: StateName,
    /// The new state, with its data, to be stored.
    pub state: State,
    pub intents: Vec<Intent>,
}

/// The machine's answer to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Transitioned(Transition),
    Refused(Refusal),
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("stored machine state does not decode: {0}")]
    Decode(String),
    #[error("restoring the machine ran entry actions that recorded {0} intents")]
    EffectsOnRestore(usize),
    #[error("the machine took {from} --{event}--> {to}, which the transition table does not have")]
    EdgeNotInTable {
        from: StateName,
        event: &'static str,
        to: StateName,
    },
}

/// One payment's machine, restored from its stored state.
pub struct Machine {
    inner: InitializedStateMachine<PaymentFlow>,
}

/// The stored form statig (de)serialises: shared storage plus state.
#[derive(Serialize)]
struct Stored<'a> {
    shared_storage: PaymentFlow,
    state: &'a State,
}

impl Machine {
    /// A new payment's machine, in `searching`.
    pub fn new() -> Machine {
        let mut scratch = Ctx::new(Timestamp::UNIX_EPOCH, Policy::inert());
        Machine {
            inner: PaymentFlow
                .uninitialized_state_machine()
                .init_with_context(&mut scratch),
        }
    }

    /// Restores a stored state through statig's own deserialisation. Its
    /// `init` runs entry actions from the top state down; they go into a
    /// scratch context, and any intent they record is an error, so a
    /// restore can never repeat a transition's effects.
    pub fn restore(state: &State) -> Result<Machine, RestoreError> {
        let stored = Stored {
            shared_storage: PaymentFlow,
            state,
        };
        let value =
            serde_json::to_value(&stored).map_err(|e| RestoreError::Decode(e.to_string()))?;
        let uninitialized: UninitializedStateMachine<PaymentFlow> =
            serde_json::from_value(value).map_err(|e| RestoreError::Decode(e.to_string()))?;
        let mut scratch = Ctx::new(Timestamp::UNIX_EPOCH, Policy::inert());
        let inner = uninitialized.init_with_context(&mut scratch);
        if !scratch.intents.is_empty() || scratch.taken.is_some() {
            return Err(RestoreError::EffectsOnRestore(scratch.intents.len()));
        }
        Ok(Machine { inner })
    }

    pub fn state(&self) -> &State {
        self.inner.state()
    }

    /// Hands the machine one event. A transition that the table does not
    /// list is an error (the code and its documentation disagree): the
    /// caller must not store it.
    pub fn handle(
        &mut self,
        event: &Event,
        now: Timestamp,
        policy: &Policy,
    ) -> Result<Handled, RestoreError> {
        let mut ctx = Ctx::new(now, policy.clone());
        self.inner.handle_with_context(event, &mut ctx);
        let Some((from, to)) = ctx.taken else {
            return Ok(Handled::Refused(
                ctx.refusal.unwrap_or(Refusal::NotAllowedInState),
            ));
        };
        if !table::has_edge(from, event.kind(), to) {
            return Err(RestoreError::EdgeNotInTable {
                from,
                event: event.kind().as_str(),
                to,
            });
        }
        Ok(Handled::Transitioned(Transition {
            from,
            to,
            state: self.inner.state().clone(),
            intents: ctx.intents,
        }))
    }
}

impl Default for Machine {
    fn default() -> Self {
        Machine::new()
    }
}
