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

/// Coffer's message path on one crypto provider, beside that provider's floor. Coffer on
/// another provider (aws-lc, through core's `*_in` constructors) is one more implementation,
/// using [`drive_encryptor!`] and [`drive_decryptor!`], and one more line in
/// `benches/message.rs`'s `with_providers!`.
pub trait Provider {
    /// The provider's name, as in the bench ids (`coffer-<name>`).
    const NAME: &'static str;
    /// Its raw AES-256-GCM.
    type Floor: Floor;
    /// Coffer's raw AES keyring on this provider.
    type Keyring: Keyring;
    /// The keyring, named and keyed as the `aws-esdk` peer's.
    fn keyring() -> Self::Keyring;
    /// One message of `plaintext` into `buffers.out`; returns its length.
    fn encrypt(buffers: &mut Buffers<Self::Keyring>, suite: AlgorithmSuite, plaintext: &[u8]) -> usize;
    /// Decrypts and verifies `message` into `buffers.out`; returns the plaintext length.
    fn decrypt(buffers: &mut Buffers<Self::Keyring>, message: &[u8]) -> usize;
}

/// Coffer as it builds by default: RustCrypto's `aes-gcm`, `hkdf`, `sha2`, `p384`.
pub struct CofferRustCrypto;

impl Provider for CofferRustCrypto {
    const NAME: &'static str = RustCrypto::NAME;
    type Floor = RustCrypto;
    type Keyring = RawAesKeyring<'static>;

    fn keyring() -> Self::Keyring {
        keyring()
    }

    fn encrypt(buffers: &mut Buffers<Self::Keyring>, suite: AlgorithmSuite, plaintext: &[u8]) -> usize {
        let Buffers { keyring, workspace, out } = buffers;
        encrypt(keyring, suite, plaintext, workspace, out, &mut crate::rng())
    }

    fn decrypt(buffers: &mut Buffers<Self::Keyring>, message: &[u8]) -> usize {
        let Buffers { keyring, workspace, out } = buffers;
        decrypt(keyring, message, workspace, out)
    }
}

/// What one message bench reuses across iterations: the keyring, a workspace for either
/// direction and either suite, and an output buffer for the largest message.
pub struct Buffers<K> {
    /// Coffer's raw AES keyring.
    pub keyring: K,
    /// The encryptor's or decryptor's workspace (one frame, the footer, the header).
    pub workspace: Vec<u8>,
    /// Message bytes or plaintext.
    pub out: Vec<u8>,
}

impl<K> Buffers<K> {
    /// Buffers for messages of up to `max_plaintext` bytes.
    pub fn new(keyring: K, max_plaintext: usize) -> Self {
        let workspace_len = Encryptor::workspace_len(FRAME).max(Decryptor::workspace_len(FRAME)).max(MAX_HEADER_LEN);
        Self {
            keyring,
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
    let encryptor = Encryptor::new(keyring, context(), &config, rng, workspace).expect("Encryptor::new");
    crate::drive_encryptor!(encryptor, plaintext, out)
}

/// Decrypts and verifies one whole message into `out`; returns the plaintext length.
pub fn decrypt<K: Keyring>(keyring: K, message: &[u8], workspace: &mut [u8], out: &mut [u8]) -> usize {
    let decryptor = Decryptor::new(keyring, context(), Limits::default(), workspace);
    crate::drive_decryptor!(decryptor, message, out)
}

/// Feeds the whole plaintext to a started `Encryptor` (of any provider) and finishes the
/// message into `out`; evaluates to the message length.
#[macro_export]
macro_rules! drive_encryptor {
    ($encryptor:expr, $plaintext:expr, $out:expr) => {{
        let mut encryptor = $encryptor;
        let (plaintext, out): (&[u8], &mut [u8]) = ($plaintext, $out);
        let (consumed, mut len) = encryptor.update(plaintext, out).expect("Encryptor::update");
        assert_eq!(consumed, plaintext.len(), "the output buffer is too small");
        loop {
            let (written, done) = encryptor.finish(&mut out[len..]).expect("Encryptor::finish");
            len += written;
            if done {
                break len;
            }
            assert!(written > 0, "the output buffer is too small");
        }
    }};
}

/// Feeds a whole message to a `Decryptor` (of any provider), takes all its plaintext into
/// `out` and checks the message ended verified; evaluates to the plaintext length.
#[macro_export]
macro_rules! drive_decryptor {
    ($decryptor:expr, $message:expr, $out:expr) => {{
        let mut decryptor = $decryptor;
        let (message, out): (&[u8], &mut [u8]) = ($message, $out);
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
    }};
}

/// Coffer on `aws-lc-rs` (core's `aws-lc` feature).
pub struct CofferAwsLc;

impl Provider for CofferAwsLc {
    const NAME: &'static str = crate::floor::AwsLc::NAME;
    type Floor = crate::floor::AwsLc;
    type Keyring = RawAesKeyring<'static, coffer_core::crypto::AwsLc>;

    fn keyring() -> Self::Keyring {
        RawAesKeyring::new_in(NAMESPACE, KEY_NAME, &WRAPPING_KEY, coffer_core::crypto::AwsLc).expect("a keyring")
    }

    fn encrypt(buffers: &mut Buffers<Self::Keyring>, suite: AlgorithmSuite, plaintext: &[u8]) -> usize {
        let Buffers { keyring, workspace, out } = buffers;
        let config = EncryptConfig { suite, frame_length: FRAME, limits: Limits::default() };
        let encryptor =
            Encryptor::new_in(keyring, context(), &config, &mut crate::rng(), workspace, coffer_core::crypto::AwsLc)
                .expect("Encryptor::new_in");
        crate::drive_encryptor!(encryptor, plaintext, out)
    }

    fn decrypt(buffers: &mut Buffers<Self::Keyring>, message: &[u8]) -> usize {
        let Buffers { keyring, workspace, out } = buffers;
        let decryptor = Decryptor::new_in(keyring, context(), Limits::default(), workspace, coffer_core::crypto::AwsLc);
        crate::drive_decryptor!(decryptor, message, out)
    }
}
