//! What the root keys protect directly.
//!
//! The root wrapping key protects KMS key material (inside the [`Hsm`](crate::hsm::Hsm), see
//! [`WrappedKey`](crate::hsm::WrappedKey)); the root sealing key authenticates every record the
//! store holds. This module is the second: sealing records and opening them again.

mod sealed_record;

pub(crate) use sealed_record::{
    KEY_BODY_AT, KEY_SEALED_LEN, OpenError, SealError, VERSION_SEALED_LEN, open, open_authenticated, reseal, seal,
};
pub use sealed_record::{MAX_SEALED_LEN, SEALED_MAGIC};
