//! Key lifecycle states.

use core::fmt;

/// Where a key is in its lifecycle (AWS KMS `KeyState`, for the states Coffer has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Usable for every operation.
    Enabled,
    /// Kept, but refuses cryptographic use until enabled again.
    Disabled,
    /// Scheduled for destruction; refuses cryptographic use; can be cancelled (back to Disabled).
    PendingDeletion,
}

impl KeyState {
    /// The AWS name of the state.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Enabled => 1,
            Self::Disabled => 2,
            Self::PendingDeletion => 3,
        }
    }

    pub(crate) const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Enabled),
            2 => Some(Self::Disabled),
            3 => Some(Self::PendingDeletion),
            _ => None,
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
