//! A build without the `legacy-records` feature: no format-1 record is ever read.
//!
//! [`LegacyKeyRecord`] is an enum without variants, so no value of it exists: [`parse`]
//! refuses every body, and each method's body is an empty `match`, which the compiler knows is
//! never reached. The façade keeps one code path for both builds (its `LoadedKey::Legacy`
//! arms), and in this one those arms, the rewrite of format-1 records and the reader itself
//! are not in the image.
//!
//! [`parse`]: LegacyKeyRecord::parse

use core::iter::Empty;
use core::marker::PhantomData;
use core::ops::Range;

use crate::clock::Timestamp;
use crate::key::id::KeyId;
use crate::key::record::{KeyFields, Malformed, Rotation};
use crate::key::state::KeyState;
use crate::key::version::KeyVersion;

/// A format-1 key record, which this build does not read: no value of this type exists.
#[derive(Debug, Clone)]
pub(crate) enum LegacyKeyRecord<'a> {
    #[doc(hidden)]
    _Never(Never, PhantomData<&'a [u8]>),
}

/// The uninhabited half of [`LegacyKeyRecord`]'s one variant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Never {}

impl<'a> LegacyKeyRecord<'a> {
    /// Refuses every body: this build reads no format-1 record.
    pub(crate) fn parse(_body: &'a [u8]) -> Result<Self, Malformed> {
        Err(Malformed)
    }

    pub(crate) fn id(&self) -> KeyId {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn state(&self) -> KeyState {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn creation_date(&self) -> Timestamp {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn deletion(&self) -> Option<(Timestamp, u16)> {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn rotation(&self) -> Rotation {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn min_decryption_version(&self) -> u32 {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn description(&self) -> &'a str {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn description_range(&self) -> Range<usize> {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn versions(&self) -> Empty<KeyVersion> {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn version(&self, _number: u32) -> Option<KeyVersion> {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }

    pub(crate) fn fields(&self) -> Result<KeyFields, Malformed> {
        match *self {
            Self::_Never(never, _) => match never {},
        }
    }
}
