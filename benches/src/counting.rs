//! An [`Hsm`] that counts the calls made to the one it wraps: the cache bench's HSM call count.

use coffer_core::hsm::{Capabilities, Hsm, Mac, Nonce, Tag, WrappedKey};
use std::cell::Cell;
use std::rc::Rc;

/// Calls seen, shared with whoever built the wrapper (the façade owns the wrapper).
#[derive(Debug, Default)]
pub struct Counts {
    /// Every call of the trait.
    pub calls: Cell<u64>,
    /// AES-GCM seals and opens: one per KMS Encrypt, Decrypt or GenerateDataKey.
    pub aead: Cell<u64>,
}

impl Counts {
    fn call(&self) {
        self.calls.set(self.calls.get() + 1);
    }

    fn aead(&self) {
        self.call();
        self.aead.set(self.aead.get() + 1);
    }

    /// Sets both counters to zero.
    pub fn reset(&self) {
        self.calls.set(0);
        self.aead.set(0);
    }
}

/// Wraps an [`Hsm`], counting into [`Counts`].
#[derive(Debug)]
pub struct CountingHsm<H> {
    inner: H,
    counts: Rc<Counts>,
}

impl<H: Hsm> CountingHsm<H> {
    /// Wraps `inner`; read the counts through the returned `Rc`.
    pub fn new(inner: H) -> (Self, Rc<Counts>) {
        let counts = Rc::new(Counts::default());
        (Self { inner, counts: Rc::clone(&counts) }, counts)
    }
}

impl<H: Hsm> Hsm for CountingHsm<H> {
    type Handle = H::Handle;
    type Error = H::Error;

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), H::Error> {
        self.counts.call();
        self.inner.fill_random(dest)
    }

    fn find_root_keys(&mut self) -> Result<(), H::Error> {
        self.counts.call();
        self.inner.find_root_keys()
    }

    fn create_root_keys(&mut self) -> Result<(), H::Error> {
        self.counts.call();
        self.inner.create_root_keys()
    }

    fn generate_key(&mut self) -> Result<WrappedKey, H::Error> {
        self.counts.call();
        self.inner.generate_key()
    }

    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<H::Handle, H::Error> {
        self.counts.call();
        self.inner.load_key(wrapped)
    }

    fn release_key(&mut self, key: H::Handle) -> Result<(), H::Error> {
        self.counts.call();
        self.inner.release_key(key)
    }

    fn seal(&mut self, key: H::Handle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), H::Error> {
        self.counts.aead();
        self.inner.seal(key, aad, buf)
    }

    fn open(&mut self, key: H::Handle, nonce: &Nonce, aad: &[u8], buf: &mut [u8], tag: &Tag) -> Result<(), H::Error> {
        self.counts.aead();
        self.inner.open(key, nonce, aad, buf, tag)
    }

    fn mac(&mut self, data: &[u8]) -> Result<Mac, H::Error> {
        self.counts.call();
        self.inner.mac(data)
    }

    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), H::Error> {
        self.counts.call();
        self.inner.verify_mac(data, mac)
    }
}
