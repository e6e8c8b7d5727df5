//! Root key material handed in by a caller: the same type for every backend, so that one root
//! can be placed in a software HSM and a token alike (migration, interoperation tests).

use super::KEY_LEN;
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The two root keys as bytes, for backends that accept imported roots.
///
/// Zeroized on drop, printed redacted, and not `Clone`. Generating the root keys inside the
/// HSM ([`Hsm::create_root_keys`](super::Hsm::create_root_keys)) is the better default: bytes
/// held here have been in host memory.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RootKeyMaterial {
    /// The AES-256 root wrapping key: wraps KMS key material (RFC 5649).
    pub wrapping: [u8; KEY_LEN],
    /// The 32-byte HMAC-SHA-256 root sealing key: authenticates key records.
    pub sealing: [u8; KEY_LEN],
}

impl RootKeyMaterial {
    /// Both keys; the two must be independent random values.
    pub const fn new(wrapping: [u8; KEY_LEN], sealing: [u8; KEY_LEN]) -> Self {
        Self { wrapping, sealing }
    }
}

impl fmt::Debug for RootKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKeyMaterial { .. }")
    }
}
