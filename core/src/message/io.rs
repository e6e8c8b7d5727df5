//! `std::io` adapters: an encrypting [`Write`] and a decrypting [`Read`], each streaming
//! through the caller's workspace, so memory stays about one frame whatever the message size.

use crate::crypto::{CryptoProvider, RustCrypto};
use std::io::{self, Read, Write};

use zeroize::Zeroize;

use super::decrypt::Decryptor;
use super::encrypt::Encryptor;
use super::keyring::Keyring;

/// Size of the adapters' staging buffers (on the stack / in the adapter).
const STAGE: usize = 8192;

/// Encrypts what is written to it into the inner writer.
///
/// Call [`finish`](Self::finish) at the end: it writes the final frame and (for `05 78`) the
/// signature. A writer dropped without `finish` leaves an incomplete message, which every reader
/// refuses.
#[derive(Debug)]
pub struct EncryptingWriter<'w, W: Write, P: CryptoProvider = RustCrypto> {
    inner: W,
    encryptor: Encryptor<'w, P>,
}

impl<'w, W: Write, P: CryptoProvider> EncryptingWriter<'w, W, P> {
    /// Wraps `inner`; `encryptor` is a started [`Encryptor`].
    pub fn new(inner: W, encryptor: Encryptor<'w, P>) -> Self {
        Self { inner, encryptor }
    }

    /// Ends the message and returns the inner writer.
    ///
    /// # Errors
    /// The inner writer's errors; an encryption failure as [`io::ErrorKind::Other`].
    pub fn finish(mut self) -> io::Result<W> {
        let mut out = [0u8; STAGE];
        loop {
            let (written, done) = self.encryptor.finish(&mut out).map_err(io::Error::other)?;
            self.inner.write_all(out.get(..written).unwrap_or_default())?;
            if done {
                self.inner.flush()?;
                return Ok(self.inner);
            }
        }
    }
}

impl<W: Write, P: CryptoProvider> Write for EncryptingWriter<'_, W, P> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = [0u8; STAGE];
        let mut consumed: usize = 0;
        loop {
            let rest = buf.get(consumed..).unwrap_or_default();
            let (c, w) = self.encryptor.update(rest, &mut out).map_err(io::Error::other)?;
            self.inner.write_all(out.get(..w).unwrap_or_default())?;
            consumed = consumed.saturating_add(c);
            if consumed == buf.len() && w < out.len() {
                return Ok(consumed);
            }
        }
    }

    /// Flushes the inner writer. A partly filled frame stays buffered: frames are sealed whole.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts the message read from the inner reader.
///
/// Reading returns plaintext frame by frame, each only after its tag verified; end of file
/// (`Ok(0)`) is returned only after the whole message verified, final frame and (for `05 78`)
/// signature included. A truncated or tampered message yields an [`io::ErrorKind::InvalidData`]
/// error instead. As with [`Decryptor`], plaintext read before end of file must be treated as
/// unverified until then. A `read` that fails wipes the buffer it was given, so nothing it
/// decrypted during that call is left there.
#[derive(Debug)]
pub struct DecryptingReader<'w, 'c, R: Read, K: Keyring, P: CryptoProvider = RustCrypto> {
    inner: R,
    decryptor: Decryptor<'w, 'c, K, P>,
    stage: [u8; STAGE],
    start: usize,
    end: usize,
    eof: bool,
}

impl<'w, 'c, R: Read, K: Keyring, P: CryptoProvider> DecryptingReader<'w, 'c, R, K, P> {
    /// Wraps `inner`, decrypting with `decryptor`.
    pub fn new(inner: R, decryptor: Decryptor<'w, 'c, K, P>) -> Self {
        Self { inner, decryptor, stage: [0; STAGE], start: 0, end: 0, eof: false }
    }
}

impl<R: Read, K: Keyring, P: CryptoProvider> Read for DecryptingReader<'_, '_, R, K, P> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.stage.get(self.start..self.end).unwrap_or_default();
            let (c, w) = self.decryptor.update(input, buf).map_err(|e| {
                buf.zeroize();
                io::Error::new(io::ErrorKind::InvalidData, e)
            })?;
            self.start = self.start.saturating_add(c);
            if w > 0 {
                return Ok(w);
            }
            if self.start < self.end {
                continue;
            }
            if self.eof {
                self.decryptor.finish().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                return Ok(0);
            }
            let n = loop {
                match self.inner.read(&mut self.stage) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            self.start = 0;
            self.end = n;
            self.eof = n == 0;
        }
    }
}
