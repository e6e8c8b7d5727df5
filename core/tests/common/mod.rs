//! Helpers shared by the message tests: a deterministic generator and whole-message
//! encrypt/decrypt loops over the streaming API with chosen chunk sizes.
#![allow(dead_code, unreachable_pub, clippy::missing_panics_doc, clippy::cast_possible_truncation)]

use coffer_core::EncryptionContext;
use coffer_core::crypto::{CryptoProvider, RustCrypto};
use coffer_core::message::{
    AlgorithmSuite, DecryptError, Decryptor, EncryptConfig, Encryptor, Keyring, Limits, MAX_HEADER_LEN, RawAesKeyring,
};
use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};

/// A deterministic generator for tests (splitmix64): NOT cryptographically secure, it only
/// makes test messages reproducible.
pub struct TestRng(pub u64);

impl TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}
impl TryCryptoRng for TestRng {}

/// Counts the calls made to the keyring it wraps, so a test can tell that no key was tried.
pub struct Counting<'a, K> {
    pub inner: K,
    pub calls: &'a core::cell::Cell<usize>,
}

impl<K: Keyring> Keyring for Counting<'_, K> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut coffer_core::message::EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), coffer_core::message::KeyringError> {
        self.calls.set(self.calls.get() + 1);
        self.inner.on_encrypt(materials, rng)
    }

    fn on_decrypt(
        &mut self,
        materials: &mut coffer_core::message::DecryptionMaterials<'_>,
        edks: &[coffer_core::message::EdkRef<'_>],
    ) -> Result<(), coffer_core::message::KeyringError> {
        self.calls.set(self.calls.get() + 1);
        self.inner.on_decrypt(materials, edks)
    }
}

pub const KEY_A: [u8; 32] = [0x11; 32];
pub const KEY_B: [u8; 32] = [0x22; 32];

pub fn keyring_a() -> RawAesKeyring<'static> {
    RawAesKeyring::new("coffer-test", "key-a", &KEY_A).unwrap()
}

pub fn keyring_b() -> RawAesKeyring<'static> {
    RawAesKeyring::new("coffer-test", "key-b", &KEY_B).unwrap()
}

pub fn suites() -> Vec<AlgorithmSuite> {
    vec![AlgorithmSuite::AesGcm256HkdfSha512Commit, AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384]
}

pub fn config(suite: AlgorithmSuite, frame_length: u32) -> EncryptConfig {
    EncryptConfig { suite, frame_length, limits: Limits::default() }
}

pub fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

/// Encrypts `pt` feeding `chunk` bytes at a time and draining into `out_chunk`-byte buffers.
pub fn encrypt_with<K: Keyring>(
    keyring: &mut K,
    ctx: &EncryptionContext<'_>,
    config: &EncryptConfig,
    seed: u64,
    pt: &[u8],
    chunk: usize,
    out_chunk: usize,
) -> Vec<u8> {
    encrypt_with_in(keyring, ctx, config, seed, pt, chunk, out_chunk, RustCrypto)
}

/// [`encrypt_with`] on the crypto provider `provider`.
#[allow(clippy::too_many_arguments)]
pub fn encrypt_with_in<K: Keyring, P: CryptoProvider>(
    keyring: &mut K,
    ctx: &EncryptionContext<'_>,
    config: &EncryptConfig,
    seed: u64,
    pt: &[u8],
    chunk: usize,
    out_chunk: usize,
    provider: P,
) -> Vec<u8> {
    let mut rng = TestRng(seed);
    let mut ws = vec![0u8; Encryptor::workspace_len(config.frame_length).max(MAX_HEADER_LEN)];
    let mut enc = Encryptor::new_in(keyring, ctx.clone(), config, &mut rng, &mut ws, provider).unwrap();
    let mut msg = Vec::new();
    let mut out = vec![0u8; out_chunk];
    for piece in pt.chunks(chunk.max(1)) {
        let mut at = 0;
        while at < piece.len() {
            let (c, w) = enc.update(&piece[at..], &mut out).unwrap();
            msg.extend_from_slice(&out[..w]);
            at += c;
        }
    }
    loop {
        let (w, done) = enc.finish(&mut out).unwrap();
        msg.extend_from_slice(&out[..w]);
        if done {
            break;
        }
    }
    msg
}

pub fn encrypt(suite: AlgorithmSuite, frame: u32, ctx: &EncryptionContext<'_>, pt: &[u8]) -> Vec<u8> {
    encrypt_with(&mut keyring_a(), ctx, &config(suite, frame), 7, pt, 1 << 20, 1 << 20)
}

/// Decrypts `msg` feeding `chunk` bytes at a time into `out_chunk`-byte output buffers, with a
/// workspace of `ws_len` bytes.
pub fn decrypt_with<K: Keyring>(
    keyring: K,
    expected: &EncryptionContext<'_>,
    limits: Limits,
    ws_len: usize,
    msg: &[u8],
    chunk: usize,
    out_chunk: usize,
) -> Result<Vec<u8>, DecryptError> {
    decrypt_with_in(keyring, expected, limits, ws_len, msg, chunk, out_chunk, RustCrypto)
}

/// [`decrypt_with`] on the crypto provider `provider`.
#[allow(clippy::too_many_arguments)]
pub fn decrypt_with_in<K: Keyring, P: CryptoProvider>(
    keyring: K,
    expected: &EncryptionContext<'_>,
    limits: Limits,
    ws_len: usize,
    msg: &[u8],
    chunk: usize,
    out_chunk: usize,
    provider: P,
) -> Result<Vec<u8>, DecryptError> {
    let mut ws = vec![0u8; ws_len];
    let mut dec = Decryptor::new_in(keyring, expected.clone(), limits, &mut ws, provider);
    let mut pt = Vec::new();
    let mut out = vec![0u8; out_chunk.max(1)];
    for piece in msg.chunks(chunk.max(1)) {
        let mut at = 0;
        loop {
            let (c, w) = dec.update(&piece[at..], &mut out)?;
            pt.extend_from_slice(&out[..w]);
            at += c;
            if at == piece.len() && w == 0 {
                break;
            }
        }
    }
    loop {
        let (_, w) = dec.update(&[], &mut out)?;
        if w == 0 {
            break;
        }
        pt.extend_from_slice(&out[..w]);
    }
    dec.finish()?;
    Ok(pt)
}

pub fn decrypt(msg: &[u8], expected: &EncryptionContext<'_>) -> Result<Vec<u8>, DecryptError> {
    decrypt_with(keyring_a(), expected, Limits::default(), 70_000, msg, 1 << 20, 1 << 20)
}

/// The message without its `05 78` footer (the 2-byte length and the DER signature), or the
/// whole message for an unsigned suite: what two crypto providers must make byte for byte
/// (RustCrypto signs deterministically, aws-lc-rs with a random nonce).
pub fn without_footer(suite: AlgorithmSuite, msg: &[u8]) -> &[u8] {
    if !suite.is_signed() {
        return msg;
    }
    // A P-384 DER signature is 8 to 104 bytes; its length prefix sits right before it.
    (8..=104usize)
        .rev()
        .find(|&len| msg.len() >= len + 2 && msg[msg.len() - len - 2..msg.len() - len] == (len as u16).to_be_bytes())
        .map(|len| &msg[..msg.len() - len - 2])
        .expect("a signed message ends with a footer")
}
