//! State names (part of the HTTP API) and the data a state carries.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A payment's state, as the API and the audit log name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    Searching,
    Held,
    Crediting,
    CreditFailed,
    CreditUnknown,
    Credited,
    Rejected,
    Expired,
}

impl StateName {
    pub const ALL: [StateName; 8] = [
        StateName::Searching,
        StateName::Held,
        StateName::Crediting,
        StateName::CreditFailed,
        StateName::CreditUnknown,
        StateName::Credited,
        StateName::Rejected,
        StateName::Expired,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            StateName::Searching => "searching",
            StateName::Held => "held",
            StateName::Crediting => "crediting",
            StateName::CreditFailed => "credit_failed",
            StateName::CreditUnknown => "credit_unknown",
            StateName::Credited => "credited",
            StateName::Rejected => "rejected",
            StateName::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<StateName> {
        StateName::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Final states absorb every event.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            StateName::Credited | StateName::Rejected | StateName::Expired
        )
    }

    /// The superstate a state belongs to, for the diagram and for readers.
    pub fn superstate(&self) -> Option<&'static str> {
        match self {
            StateName::Searching | StateName::Held | StateName::Crediting => None,
            StateName::CreditFailed | StateName::CreditUnknown => Some("needs_operator"),
            StateName::Credited | StateName::Rejected | StateName::Expired => Some("final"),
        }
    }

    /// A one-byte code for compact index keys.
    pub fn code(&self) -> u8 {
        match self {
            StateName::Searching => 1,
            StateName::Held => 2,
            StateName::Crediting => 3,
            StateName::CreditFailed => 4,
            StateName::CreditUnknown => 5,
            StateName::Credited => 6,
            StateName::Rejected => 7,
            StateName::Expired => 8,
        }
    }
}

impl fmt::Display for StateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a matched claim is held for a human: the store's anti-spam rules
/// (first four) and the claim rules that apply to every store (last two;
/// docs/claims-and-limits.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// First payment from this phone for this client.
    NewPhone,
    /// This phone was credited to a different client before.
    SharedPhone,
    /// The amount is at or above the store's threshold.
    LargeAmount,
    /// This client or phone sent more checks in the last hour than allowed.
    Velocity,
    /// The check named the transaction by its reference number, and the
    /// transfer's phone is not the check's (or the transfer has none).
    ClaimedByReference,
    /// The transfer's phone and amount match waiting payments of more than
    /// one client: whoever checked first is not necessarily who paid.
    /// Applies whatever the store's anti-spam setting.
    Contested,
    /// The payment was created well before the transfer itself happened: a
    /// customer checks after paying, so this claim was staked in advance.
    /// Applies whatever the store's anti-spam setting.
    CheckedBeforeTransfer,
}

impl HoldReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            HoldReason::NewPhone => "new_phone",
            HoldReason::SharedPhone => "shared_phone",
            HoldReason::LargeAmount => "large_amount",
            HoldReason::Velocity => "velocity",
            HoldReason::ClaimedByReference => "claimed_by_reference",
            HoldReason::Contested => "contested",
            HoldReason::CheckedBeforeTransfer => "checked_before_transfer",
        }
    }

    pub const ALL: [HoldReason; 7] = [
        HoldReason::NewPhone,
        HoldReason::SharedPhone,
        HoldReason::LargeAmount,
        HoldReason::Velocity,
        HoldReason::ClaimedByReference,
        HoldReason::Contested,
        HoldReason::CheckedBeforeTransfer,
    ];

    pub fn parse(s: &str) -> Option<HoldReason> {
        HoldReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
