//! Applies each operation to the real store and to the model, then checks
//! that they agree and that `Payments::verify` finds nothing wrong.

use std::path::PathBuf;

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::world::{APPROVAL_WINDOW_MS, SEARCH_WINDOW_MS, TRIES_MAX, World};
use crate::domain::{Amount, Email, PaymentId, Phone, StoreId, TransId, Window};
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::payments::{DbOptions, Payments, PaymentsOptions};

pub(super) const LISTED: &str = "owner@example.com";
const START_MS: i64 = 1_780_000_000_000;

/// Where the real store and the model disagree, or an invariant broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Mismatch(pub String);

pub(super) fn fail<T>(what: impl Into<String>) -> Result<T, Mismatch> {
    Err(Mismatch(what.into()))
}

pub(super) fn io<E: std::fmt::Display>(e: E) -> Mismatch {
    Mismatch(format!("storage: {e}"))
}

/// A real store in a scratch folder, and its model.
pub struct Harness {
    dir: PathBuf,
    payments: Option<Payments>,
    pub(super) world: World,
    pub(super) now_ms: i64,
    pub(super) store_id: StoreId,
}

impl Harness {
    pub fn new() -> Result<Harness, Mismatch> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(io)?;
        let dir =
            std::env::temp_dir().join(format!("cashgate-model-{}", u64::from_le_bytes(random)));
        let store_id = StoreId::parse("5").map_err(io)?;
        let mut harness = Harness {
            dir,
            payments: None,
            world: World::default(),
            now_ms: START_MS,
            store_id,
        };
        harness.payments = Some(harness.open()?);
        let mut settings = StoreSettings::default();
        settings.anti_spam.enabled = true;
        settings.anti_spam.approvers = vec![Email::parse(LISTED).map_err(io)?];
        settings.anti_spam.hold_new_phone = true;
        settings.anti_spam.hold_shared_phone = false;
        settings.anti_spam.approval_window = Window::from_minutes(APPROVAL_WINDOW_MS / 60_000);
        settings.search_window = Window::from_minutes(SEARCH_WINDOW_MS / 60_000);
        harness
            .payments()?
            .stores()
            .put(&harness.store_id, &settings)
            .map_err(io)?
            .durable_blocking()
            .map_err(io)?;
        Ok(harness)
    }

    fn open(&self) -> Result<Payments, Mismatch> {
        // Fuzzing needs speed: writes are flushed on close, not per write.
        let options = PaymentsOptions {
            credit_tries_max: TRIES_MAX,
            db: DbOptions {
                sync_writes: false,
                ..DbOptions::default()
            },
            ..PaymentsOptions::default()
        };
        Payments::open(&self.dir, options).map_err(io)
    }

    pub(super) fn payments(&self) -> Result<&Payments, Mismatch> {
        self.payments
            .as_ref()
            .ok_or_else(|| Mismatch("the data folder is closed".into()))
    }

    pub(super) fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.now_ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    pub(super) fn phone(n: u8) -> Phone {
        let text = if n == 0 { "01012345678" } else { "01112345678" };
        Phone::parse(text).unwrap_or_else(|_| unreachable!("a valid literal"))
    }

    pub(super) fn amount(n: u8) -> Amount {
        Amount::from_decimal(Decimal::from(100 + u32::from(n)))
            .unwrap_or_else(|_| unreachable!("100 or 101"))
    }
}

impl Harness {
    pub(super) fn reboot(&mut self) -> Result<(), Mismatch> {
        if let Some(payments) = self.payments.take() {
            payments.close().map_err(io)?;
        }
        self.payments = Some(self.open()?);
        Ok(())
    }

    /// Every state some payment has been in so far.
    pub fn visited(&self) -> Vec<StateName> {
        let mut states: Vec<StateName> = self.world.visited.iter().copied().collect();
        if !self.world.payments.is_empty() {
            states.push(StateName::Searching);
        }
        states.sort();
        states.dedup();
        states
    }

    /// Every hold reason a match has given so far (the store agreed).
    pub fn reasons_seen(&self) -> Vec<crate::machine::HoldReason> {
        self.world.reasons_seen.iter().copied().collect()
    }

    /// The store and the model agree, and the invariants hold.
    pub fn compare(&self) -> Result<(), Mismatch> {
        let payments = self.payments()?;
        let problems = payments.verify().map_err(io)?;
        if !problems.is_empty() {
            return fail(format!("invariants: {problems:?}"));
        }
        for p in &self.world.payments {
            let id = PaymentId::parse(&p.id).map_err(io)?;
            let Some(r) = payments.payment(&id).map_err(io)? else {
                return fail(format!("{} is missing", p.id));
            };
            let competing: Vec<u32> = payments
                .competing_clients(&r)
                .map_err(io)?
                .iter()
                .map(|c| c.get())
                .collect();
            let expected: Vec<u32> = p.competing.iter().map(|c| u32::from(*c) + 1).collect();
            if (r.hold_reasons(), &competing) != (p.reasons.as_slice(), &expected) {
                return fail(format!(
                    "{}: store holds for {:?} naming {competing:?}, model for {:?} naming {expected:?}",
                    p.id,
                    r.hold_reasons(),
                    p.reasons
                ));
            }
            let claim = p.claim.map(|t| format!("t{}", self.world.txs[t].trans));
            let real_claim = r.claim.as_ref().map(|c| c.trans_id.to_string());
            if (r.state_name(), r.version, real_claim, r.credit_reported)
                != (p.state, p.version, claim.clone(), p.reported)
            {
                return fail(format!(
                    "{}: store ({}, v{}, {:?}, reported {}), model ({}, v{}, {claim:?}, reported {})",
                    p.id,
                    r.state_name(),
                    r.version,
                    r.claim,
                    r.credit_reported,
                    p.state,
                    p.version,
                    p.reported
                ));
            }
        }
        for t in &self.world.txs {
            let trans_id = TransId::parse(&format!("t{}", t.trans)).map_err(io)?;
            let r = payments
                .transaction(&self.store_id, &trans_id)
                .map_err(io)?
                .ok_or_else(|| Mismatch(format!("t{} missing", t.trans)))?;
            let name = |i: Option<usize>| i.map(|i| self.world.payments[i].id.clone());
            let real = (
                r.claimed_by.map(|p| p.to_string()),
                r.credited_to.map(|p| p.to_string()),
                r.awaiting_operator.is_some(),
            );
            let model = (name(t.claimed_by), name(t.credited_to), t.awaiting);
            if real != model {
                return fail(format!("t{}: store {real:?}, model {model:?}", t.trans));
            }
        }
        Ok(())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(payments) = self.payments.take() {
            let _ = payments.close();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
