//! Storage failures: "stop, something is broken". Business outcomes (a
//! refused event, an unknown payment) are values of the layer above, never
//! these.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::{PaymentId, TransId};
use crate::machine::{Refusal, RestoreError};

/// The trees of the database, by name (also the order transactions use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    Stores = 0,
    Payments = 1,
    Transactions = 2,
    Audit = 3,
    Outbox = 4,
    Index = 5,
    Quarantine = 6,
}

impl Tree {
    pub const COUNT: usize = 7;
    pub const ALL: [Tree; Tree::COUNT] = [
        Tree::Stores,
        Tree::Payments,
        Tree::Transactions,
        Tree::Audit,
        Tree::Outbox,
        Tree::Index,
        Tree::Quarantine,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tree::Stores => "stores",
            Tree::Payments => "payments",
            Tree::Transactions => "transactions",
            Tree::Audit => "audit",
            Tree::Outbox => "outbox",
            Tree::Index => "index",
            Tree::Quarantine => "quarantine",
        }
    }
}

impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A write that would break one of the stored invariants. The write is
/// aborted whole; the caller reports it as a storage failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invariant {
    #[error("payment id {0} already exists")]
    PaymentExists(PaymentId),
    #[error("transaction {0} is not stored")]
    TransactionMissing(TransId),
    #[error("transaction {trans_id} is already claimed by {holder}")]
    AlreadyClaimed {
        trans_id: TransId,
        holder: PaymentId,
    },
    #[error("{payment} ends a claim on transaction {trans_id} that it does not hold")]
    ClaimNotHeld {
        payment: PaymentId,
        trans_id: TransId,
    },
    #[error("transaction {0} waits for an operator: only an assignment may claim it")]
    AwaitingOperator(TransId),
    #[error("{0} has no claim to release or settle")]
    NoClaim(PaymentId),
    #[error("{payment} refused its match: {refusal}")]
    MatchRefused {
        payment: PaymentId,
        refusal: Refusal,
    },
    #[error("the index of identical checks points at a missing payment {0}")]
    CheckIndexDangling(PaymentId),
    #[error("{0} is crediting without a claim")]
    CreditingWithoutClaim(PaymentId),
    #[error("matching found no outcome after every round")]
    NoOutcome,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    #[error("the data folder is corrupt ({0}); restore it from a backup")]
    Corrupt(Arc<sled::Error>),
    #[error("the data folder {} is in use by another cashgate process", .0.display())]
    Locked(PathBuf),
    #[error("storage failed: {0}")]
    Storage(Arc<sled::Error>),
    #[error("the data folder cannot be used: {0}")]
    Io(Arc<std::io::Error>),
    #[error("a stored {tree} record does not decode: {source}")]
    Decode {
        tree: Tree,
        source: Arc<serde_json::Error>,
    },
    #[error("a {tree} record does not encode: {source}")]
    Encode {
        tree: Tree,
        source: Arc<serde_json::Error>,
    },
    #[error("a stored {tree} key does not parse")]
    Key { tree: Tree },
    #[error("an invariant would break: {0}")]
    Invariant(#[from] Invariant),
    #[error("the payment machine failed: {0}")]
    Machine(Arc<RestoreError>),
    #[error("the write could not be made durable: {0}")]
    NotDurable(Arc<sled::Error>),
    #[error("the durability worker has stopped")]
    DurabilityStopped,
    #[error("the system's random number generator failed")]
    Random,
}

impl From<sled::Error> for DbError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Corruption { .. } => DbError::Corrupt(Arc::new(e)),
            other => DbError::Storage(Arc::new(other)),
        }
    }
}

impl From<std::io::Error> for DbError {
    fn from(e: std::io::Error) -> Self {
        DbError::Io(Arc::new(e))
    }
}

impl From<RestoreError> for DbError {
    fn from(e: RestoreError) -> Self {
        DbError::Machine(Arc::new(e))
    }
}
