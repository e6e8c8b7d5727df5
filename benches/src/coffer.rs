//! Coffer's message path over in-memory buffers, driven the fastest correct way: the whole
//! input in one `update` into an output buffer large enough for everything, workspaces and
//! buffers allocated once outside the timed loop.

use crate::floor::{Floor, RustCrypto};
use crate::{CONTEXT, FRAME, KEY_NAME, NAMESPACE, WRAPPING_KEY};
use coffer_core::EncryptionContext;
use coffer_core::message::{
    AlgorithmSuite, Decryptor, EncryptConfig, Encryptor, Keyring, Limits, MAX_HEADER_LEN, RawAesKeyring,
};
use rand_core::TryCryptoRng;

/// The two committing suites, with the names used in the bench ids.
pub const SUITES: [(AlgorithmSuite, &str); 2] = [
    (AlgorithmSuite::AesGcm256HkdfSha512Commit, "04-78"),
    (AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384, "05-78"),
];

/// Coffer's message path as built with one crypto provider, beside that provider's floor.
/// Coffer over another provider (aws-lc) is one more implementation and one more line in
/// `benches/message.rs`.
pub trait Provider {
    /// The provider's name, as in the bench ids (`coffer-<name>`).
    const NAME: &'static str;
    /// Its raw AES-256-GCM.
    type Floor: Floor;
    /// Encrypts `plaintext` into `out` (see [`encrypt`]).
    fn encrypt(buffers: &mut Buffers, suite: AlgorithmSuite, plaintext: &[u8]) -> usize;
    /// Decrypts `message` into `out` (see [`decrypt`]).
    fn decrypt(buffers: &mut Buffers, message: &[u8]) -> usize;
}

/// Coffer as it builds by default: RustCrypto's `aes-gcm`, `hkdf`, `p384`.
pub struct CofferRustCrypto;

impl Provider for CofferRustCrypto {
    const NAME: &'static str = RustCrypto::NAME;
    type Floor = RustCrypto;

    fn encrypt(buffers: &mut Buffers, suite: AlgorithmSuite, plaintext: &[u8]) -> usize {
        let Buffers { keyring, workspace, out, .. } = buffers;
        encrypt(keyring, suite, plaintext, workspace, out, &mut crate::rng())
    }

    fn decrypt(buffers: &mut Buffers, message: &[u8]) -> usize {
        let Buffers { keyring, workspace, out, .. } = buffers;
        decrypt(keyring, message, workspace, out)
    }
}

/// What one message bench reuses across iterations: the keyring, a workspace for either
/// direction and either suite, and an output buffer for the largest message.
pub struct Buffers {
    /// Coffer's raw AES keyring, named as the `aws-esdk` peer's.
    pub keyring: RawAesKeyring<'static>,
    /// The encryptor's or decryptor's workspace (one frame, the footer, the header).
    pub workspace: Vec<u8>,
    /// Message bytes or plaintext.
    pub out: Vec<u8>,
}

impl Buffers {
    /// Buffers for messages of up to `max_plaintext` bytes.
    pub fn new(max_plaintext: usize) -> Self {
        let workspace_len = Encryptor::workspace_len(FRAME).max(Decryptor::workspace_len(FRAME)).max(MAX_HEADER_LEN);
        Self {
            keyring: keyring(),
            workspace: vec![0; workspace_len],
            // The plaintext, plus per frame its sequence number, IV and tag, plus the header
            // and the footer: far less than one frame's worth of slack per 100 frames.
            out: vec![0; max_plaintext + (max_plaintext / FRAME as usize + 2) * 64 + 2 * MAX_HEADER_LEN],
        }
    }
}

/// Coffer's raw AES keyring of the benches.
pub fn keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new(NAMESPACE, KEY_NAME, &WRAPPING_KEY).expect("a valid raw AES keyring")
}

/// The encryption context of the benches.
pub fn context() -> EncryptionContext<'static> {
    EncryptionContext::new(&[CONTEXT]).expect("a valid encryption context")
}

/// One message: header (a data key from `keyring`), frames of [`FRAME`] bytes, and for
/// `05 78` the signature; returns its length in `out`.
pub fn encrypt<K: Keyring + ?Sized, R: TryCryptoRng + ?Sized>(
    keyring: &mut K,
    suite: AlgorithmSuite,
    plaintext: &[u8],
    workspace: &mut [u8],
    out: &mut [u8],
    rng: &mut R,
) -> usize {
    let config = EncryptConfig { suite, frame_length: FRAME, limits: Limits::default() };
    let mut encryptor = Encryptor::new(keyring, context(), &config, rng, workspace).expect("Encryptor::new");
    let (consumed, mut len) = encryptor.update(plaintext, out).expect("Encryptor::update");
    assert_eq!(consumed, plaintext.len(), "the output buffer is too small");
    loop {
        let (written, done) = encryptor.finish(&mut out[len..]).expect("Encryptor::finish");
        len += written;
        if done {
            return len;
        }
        assert!(written > 0, "the output buffer is too small");
    }
}

/// Decrypts and verifies one whole message into `out`; returns the plaintext length.
pub fn decrypt<K: Keyring>(keyring: K, message: &[u8], workspace: &mut [u8], out: &mut [u8]) -> usize {
    let mut decryptor = Decryptor::new(keyring, context(), Limits::default(), workspace);
    let (consumed, mut len) = decryptor.update(message, out).expect("Decryptor::update");
    assert_eq!(consumed, message.len(), "the output buffer is too small");
    // A signed message's final frame is released only once its footer verified.
    loop {
        let (_, written) = decryptor.update(&[], &mut out[len..]).expect("Decryptor::update");
        if written == 0 {
            break;
        }
        len += written;
    }
    decryptor.finish().expect("Decryptor::finish");
    len
}
