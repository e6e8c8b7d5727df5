#![no_std]
#![forbid(unsafe_code)]
// Nothing reachable from input may panic: no unwrap, expect, panic, unchecked indexing or
// arithmetic that can overflow in library code (tests may use them). A line that needs one
// carries an `allow` with a comment saying why it cannot fire.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod audit;
pub mod clock;
pub mod crypto;
pub mod data;
mod encoding;
pub mod error;
pub mod hsm;
pub mod key;
pub mod kms;
pub mod message;
pub mod root;
pub mod secret;
pub mod store;

pub use audit::{AuditEvent, AuditSink, NoAudit, Operation, Outcome};
pub use clock::{Clock, ClockError, Timestamp};
pub use data::{Ciphertext, DataKeySpec, EncryptionContext};
pub use error::{Error, Field, LimitKind, Problem, ValidationError};
pub use hsm::{Capabilities, ErrorKind, Hsm, HsmError};
pub use key::{KeyId, KeyMetadata, KeyState};
pub use kms::{Kms, KmsConfig, KmsError};
pub use secret::SecretBytes;
pub use store::{KeyStore, MemoryStore, StoreError, StoreErrorKind};
