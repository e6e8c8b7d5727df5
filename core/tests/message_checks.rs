//! Checks of message decryption that other tamper tests cannot single out, each attacked so
//! that only that check stands in the way (each test fails with its check removed):
//!
//! - the key commitment: a commitment edit whose header tag is recomputed with the data key
//!   (known to whoever holds a raw AES wrapping key), so that the header tag verifies;
//! - the frame sequence check on the streaming path (`open_frame`), with the message fed in
//!   7-byte chunks so that the fast path (whole frames in the input) never runs: a dropped
//!   regular frame and two swapped frames, whose own tags all verify.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::crypto::{AesGcmKey, CryptoProvider, HkdfSha512Prk, RustCrypto};
use coffer_core::message::{
    AlgorithmSuite, COMMITMENT_LEN, DecryptError, DecryptionMaterials, Decryptor, EdkRef, EncryptionMaterials, Header,
    Keyring, KeyringError, Limits, MultiKeyring, TAG_LEN,
};
use common::{config, encrypt_with, keyring_a, keyring_b, plaintext, suites};
use rand_core::TryCryptoRng;

const FRAME: u32 = 64;

fn ctx() -> EncryptionContext<'static> {
    EncryptionContext::new(&[("purpose", "checks")]).unwrap()
}

/// Keeps a copy of the data key its inner keyring made: what the holder of a raw AES wrapping
/// key can unwrap from the message itself.
struct Recording<K> {
    inner: K,
    data_key: Option<[u8; 32]>,
}

impl<K: Keyring> Keyring for Recording<K> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        self.inner.on_encrypt(materials, rng)?;
        self.data_key = materials.data_key().map(|k| *k.as_bytes());
        Ok(())
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        self.inner.on_decrypt(materials, edks)
    }
}

/// The header tag of `body` under the content key of `data_key` (the spec's derivation:
/// HKDF-SHA-512, salt the message id, info the suite id and "DERIVEKEY"; AES-256-GCM, zero IV,
/// the header body as AAD, no plaintext), computed here independently of the library.
fn header_tag(suite: AlgorithmSuite, data_key: &[u8; 32], message_id: &[u8], body: &[u8]) -> [u8; TAG_LEN] {
    let prk = <RustCrypto as CryptoProvider>::HkdfSha512::extract(message_id, data_key);
    let mut info = suite.id().to_be_bytes().to_vec();
    info.extend_from_slice(b"DERIVEKEY");
    let mut key = [0u8; 32];
    prk.expand(&info, &mut key).unwrap();
    RustCrypto::aes_gcm(&key).unwrap().seal_in_place(&[0u8; 12], body, &mut []).unwrap()
}

/// Feeds `msg` to a decryptor in `chunk`-byte pieces, with `chunk`-byte output buffers, and
/// returns the plaintext it released and how it ended.
fn stream<K: Keyring>(keyring: K, msg: &[u8], chunk: usize) -> (Vec<u8>, Result<(), DecryptError>) {
    let mut ws = vec![0u8; Decryptor::workspace_len(FRAME) + 4096];
    let mut dec = Decryptor::new(keyring, ctx(), Limits::default(), &mut ws);
    let mut released = Vec::new();
    let mut out = vec![0u8; chunk];
    for piece in msg.chunks(chunk) {
        let mut at = 0;
        loop {
            match dec.update(&piece[at..], &mut out) {
                Ok((c, w)) => {
                    released.extend_from_slice(&out[..w]);
                    at += c;
                    if at == piece.len() && w == 0 {
                        break;
                    }
                }
                Err(e) => return (released, Err(e)),
            }
        }
    }
    loop {
        match dec.update(&[], &mut out) {
            Ok((_, 0)) => break,
            Ok((_, w)) => released.extend_from_slice(&out[..w]),
            Err(e) => return (released, Err(e)),
        }
    }
    let end = dec.finish();
    (released, end)
}

/// For one key and for two (the data key wrapped twice, each key alone opening the message):
/// a commitment byte flipped and the header tag recomputed with the data key is refused at
/// the header, before any frame or the signature is looked at.
#[test]
fn a_commitment_edit_with_a_recomputed_header_tag_is_refused() {
    for suite in suites() {
        for two_keys in [false, true] {
            let pt = plaintext(3 * FRAME as usize + 5);
            let (msg, data_key) = if two_keys {
                let mut keyring = Recording { inner: MultiKeyring::new(keyring_a(), [keyring_b()]), data_key: None };
                let msg = encrypt_with(&mut keyring, &ctx(), &config(suite, FRAME), 26, &pt, 1000, 1000);
                (msg, keyring.data_key.unwrap())
            } else {
                let mut keyring = Recording { inner: keyring_a(), data_key: None };
                let msg = encrypt_with(&mut keyring, &ctx(), &config(suite, FRAME), 26, &pt, 1000, 1000);
                (msg, keyring.data_key.unwrap())
            };
            let (header, header_len) = Header::parse(&msg, &Limits::default()).unwrap();
            assert_eq!(header.edks.len(), if two_keys { 2 } else { 1 });
            let body_len = header.body.len();
            let message_id = header.message_id;
            // The recomputation is right: on the genuine header it gives the genuine tag.
            assert_eq!(header_tag(suite, &data_key, &message_id, header.body), header.tag);

            for at in [0, COMMITMENT_LEN / 2, COMMITMENT_LEN - 1] {
                let mut forged = msg.clone();
                forged[body_len - COMMITMENT_LEN + at] ^= 0x01;
                let tag = header_tag(suite, &data_key, &message_id, &forged[..body_len]);
                forged[body_len..body_len + TAG_LEN].copy_from_slice(&tag);
                let keyrings: Vec<_> = if two_keys { vec![keyring_a(), keyring_b()] } else { vec![keyring_a()] };
                for (n, keyring) in keyrings.into_iter().enumerate() {
                    let what = format!("{suite:?}, key {n} of {}, commitment byte {at}", if two_keys { 2 } else { 1 });
                    // The header alone is refused (for 05 78, long before the signature would).
                    let mut ws = vec![0u8; 8192];
                    let mut dec = Decryptor::new(keyring, ctx(), Limits::default(), &mut ws);
                    let mut out = [0u8; 64];
                    assert_eq!(dec.update(&forged[..header_len], &mut out), Err(DecryptError::Invalid), "{what}");
                    assert_eq!(dec.message_id(), None, "{what}");
                }
                let (released, end) = stream(if two_keys { keyring_b() } else { keyring_a() }, &forged, 7);
                assert_eq!(end, Err(DecryptError::Invalid));
                assert!(released.is_empty());
            }
        }
    }
}

/// The message of `frames` regular frames and a 5-byte final frame, its plaintext, and where
/// its frames start.
fn framed(suite: AlgorithmSuite) -> (Vec<u8>, Vec<u8>, usize, usize) {
    let pt = plaintext(4 * FRAME as usize + 5);
    let msg = encrypt_with(&mut keyring_a(), &ctx(), &config(suite, FRAME), 62, &pt, 1000, 1000);
    let (_, header_len) = Header::parse(&msg, &Limits::default()).unwrap();
    (msg, pt, header_len, 16 + FRAME as usize + 16)
}

/// Without the last regular frame, the final frame follows frame 3 under sequence number 5:
/// its tag verifies (it was sealed as frame 5), so only the sequence check stops a silently
/// truncated plaintext.
#[test]
fn dropping_the_last_regular_frame_is_refused_on_the_streaming_path() {
    for suite in suites() {
        let (msg, pt, h, f) = framed(suite);
        let mut dropped = msg[..h + 3 * f].to_vec();
        dropped.extend_from_slice(&msg[h + 4 * f..]);
        let (released, end) = stream(keyring_a(), &dropped, 7);
        assert_eq!(end, Err(DecryptError::Invalid), "{suite:?}");
        // Frames 1 to 3 were genuine and released; nothing after them.
        assert!(released == pt[..3 * FRAME as usize], "{suite:?}: {} bytes released", released.len());
        // The genuine message passes the same way.
        let (released, end) = stream(keyring_a(), &msg, 7);
        assert_eq!(end, Ok(()));
        assert!(released == pt);
    }
}

/// Frames 2 and 3 swapped, fed 7 bytes at a time: each frame's tag verifies under its own
/// sequence number, so only the sequence check refuses frame 3 where frame 2 belongs.
#[test]
fn swapped_frames_are_refused_on_the_streaming_path() {
    for suite in suites() {
        let (msg, pt, h, f) = framed(suite);
        let mut swapped = msg.clone();
        swapped[h + f..h + 2 * f].copy_from_slice(&msg[h + 2 * f..h + 3 * f]);
        swapped[h + 2 * f..h + 3 * f].copy_from_slice(&msg[h + f..h + 2 * f]);
        for chunk in [7, 1] {
            let (released, end) = stream(keyring_a(), &swapped, chunk);
            assert_eq!(end, Err(DecryptError::Invalid), "{suite:?}");
            assert!(released == pt[..FRAME as usize], "{suite:?}: {} bytes released", released.len());
        }
    }
}
