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

#[cfg(test)]
extern crate alloc;
#[cfg(test)]
extern crate std;

/// Defines `#[test]`s running each named generic check once per crypto provider, as
/// `rust_crypto::<check>` and `aws_lc::<check>`: the suites are the same for both. (`AwsLc`
/// always exists in tests: the dev-dependency on core enables its `aws-lc` feature.)
#[cfg(test)]
macro_rules! per_provider {
    ($($check:ident),*) => {
        mod rust_crypto {
            $(#[test] fn $check() { super::$check::<super::RustCrypto>() })*
        }
        mod aws_lc {
            $(#[test] fn $check() { super::$check::<coffer_core::crypto::AwsLc>() })*
        }
    };
}

mod error;
mod gcm;
mod kwp;
mod mac;
mod root_keys;
mod sealed_root;
mod slots;
mod soft_hsm;

/// Root keys supplied by the caller; defined in core so every backend takes the same type.
pub use coffer_core::hsm::RootKeyMaterial;
pub use error::SoftError;
pub use sealed_root::{SEALED_ROOT_KEYS_LEN, SealedRootKeys};
pub use slots::SoftHandle;
pub use soft_hsm::SoftHsm;
