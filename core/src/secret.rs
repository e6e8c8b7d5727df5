//! A fixed-capacity buffer for secret bytes: zeroized on drop, never printed.

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Up to `N` secret bytes (a data key, a decrypted plaintext, random bytes).
///
/// The bytes held are zeroized on drop; the rest of the array never held any (the length is
/// fixed when the buffer is made, and writes go only through [`as_mut_bytes`](Self::as_mut_bytes)). `Debug` prints only the length. There is no
/// `Clone`: a copy of a secret is made on purpose, with [`as_bytes`](Self::as_bytes).
pub struct SecretBytes<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> SecretBytes<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self { buf: [0; N], len: 0 }
    }

    /// A buffer of `len` zero bytes, or `None` if `len > N`.
    pub fn zeroed(len: usize) -> Option<Self> {
        if len > N {
            return None;
        }
        Some(Self { buf: [0; N], len })
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The secret bytes, writable.
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        self.buf.get_mut(..self.len).unwrap_or_default()
    }

    /// Keeps only the first `len` bytes (if fewer are held, nothing changes); the bytes cut off
    /// are zeroized now.
    pub fn truncate(&mut self, len: usize) {
        if let Some(cut) = self.buf.get_mut(len..self.len) {
            cut.zeroize();
            self.len = len;
        }
    }

    /// Number of bytes held.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True if no bytes are held.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const N: usize> Default for SecretBytes<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Drop for SecretBytes<N> {
    fn drop(&mut self) {
        // Only `buf[..len]` was ever writable; wiping the whole array (4 KiB for a KMS
        // plaintext) one volatile byte at a time cost more than the AES-GCM of a small Encrypt.
        match self.buf.get_mut(..self.len) {
            Some(held) => held.zeroize(),
            None => self.buf.zeroize(),
        }
        self.len = 0;
    }
}

impl<const N: usize> ZeroizeOnDrop for SecretBytes<N> {}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.len)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn debug_never_shows_the_bytes() {
        let mut s = SecretBytes::<4>::zeroed(4).unwrap();
        s.as_mut_bytes().copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        let shown = format!("{s:?}");
        assert_eq!(shown, "SecretBytes([REDACTED; 4])");
        assert!(!shown.contains("222"), "decimal 0xde leaked");
    }

    #[test]
    fn zeroed_refuses_more_than_capacity() {
        assert!(SecretBytes::<4>::zeroed(4).is_some());
        assert!(SecretBytes::<4>::zeroed(5).is_none());
    }
}
