//! Fixed-size values that cross the HSM boundary. Their sizes are the checks: a 12-byte nonce
//! and a 16-byte tag cannot be anything else.

use core::fmt;
use subtle::ConstantTimeEq;

/// AES-256 key length in bytes.
pub const KEY_LEN: usize = 32;
/// A 32-byte key wrapped with RFC 5649 (8-byte integrity block + 32 bytes).
pub const WRAPPED_KEY_LEN: usize = 40;
/// AES-GCM nonce length: 96 bits, the only length Coffer accepts.
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length: 128 bits, never truncated.
pub const TAG_LEN: usize = 16;
/// HMAC-SHA-256 output length.
pub const MAC_LEN: usize = 32;

/// KMS key version material wrapped under the root wrapping key (RFC 5649).
///
/// Not secret on its own (it is ciphertext), but it is printed only as its length so that logs
/// do not collect it.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey(pub [u8; WRAPPED_KEY_LEN]);

impl WrappedKey {
    /// The wrapped bytes.
    pub const fn as_bytes(&self) -> &[u8; WRAPPED_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey([{WRAPPED_KEY_LEN} bytes])")
    }
}

/// A 96-bit AES-GCM nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nonce(pub [u8; NONCE_LEN]);

/// A 128-bit AES-GCM tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub [u8; TAG_LEN]);

/// An HMAC-SHA-256 value. Compared only in constant time.
#[derive(Clone, Copy)]
pub struct Mac(pub [u8; MAC_LEN]);

impl Mac {
    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mac(..)")
    }
}
