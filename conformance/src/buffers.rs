//! The operations that write into caller buffers (`encrypt_into`, `decrypt_into`,
//! `re_encrypt_into`, `generate_data_key_into`, `generate_data_key_without_plaintext_into`,
//! `generate_random_into`): each buffer at its edge (the exact length works, one byte less is
//! refused before anything is done, with one audit event), the answers' lengths, the blobs
//! interchangeable with the owned forms', and no plaintext left in a buffer after a failure.

use coffer_core::audit::Outcome;
use coffer_core::data::{BLOB_OVERHEAD, blob_len};
use coffer_core::kms::{Opened, Sealed};
use coffer_core::{DataKeySpec, EncryptionContext, Error, Field, Hsm, Problem, ValidationError};

use crate::fixture::{Stores, create, ctx, one_event, pattern, text};

fn too_small(needed: usize) -> ValidationError {
    ValidationError { field: Field::Output, problem: Problem::TooSmall { needed } }
}

/// Encrypt into a buffer of exactly the blob's length, and Decrypt into a buffer of exactly the
/// plaintext's length, for 1, 32 and 4096 bytes; a buffer one byte shorter is refused with
/// Validation on `Output` naming the length needed, audited as one failed event, and leaves
/// the buffer untouched. The owned forms open the blobs of the buffer forms and back.
pub fn encrypt_and_decrypt_into_buffers_at_their_edge<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let context = ctx(&[("tenant", "acme")]);
    for len in [1usize, 32, 4096] {
        let plaintext = pattern(len);
        let mut short = vec![0xA5u8; blob_len(len) - 1];
        let (refused, event) = one_event(&mut kms, |kms| kms.encrypt_into(&key, &plaintext, &context, &mut short));
        assert_err!(refused, Error::Validation(v) if v == too_small(blob_len(len)));
        assert!(matches!(event.outcome, Outcome::Failure(_)), "{event:?}");
        assert!(short.iter().all(|b| *b == 0xA5), "a refused call writes nothing");

        let mut blob = vec![0u8; blob_len(len)];
        let sealed = kms.encrypt_into(&key, &plaintext, &context, &mut blob).expect("encrypt_into");
        assert_eq!(sealed, Sealed { key_id: id, version: 1, blob_len: len + BLOB_OVERHEAD });
        assert_eq!(kms.decrypt(&blob, &context, None).expect("owned decrypt").plaintext.as_bytes(), &plaintext[..]);

        let mut out = vec![0u8; len - 1];
        assert_err!(kms.decrypt_into(&blob, &context, None, &mut out), Error::Validation(v) if v == too_small(len));
        let mut out = vec![0u8; len];
        let opened = kms.decrypt_into(&blob, &context, None, &mut out).expect("decrypt_into");
        assert_eq!(opened, Opened { key_id: id, version: 1, plaintext_len: len });
        assert_eq!(out, plaintext);

        // A larger buffer: the answer says how much of it holds the plaintext.
        let owned = kms.encrypt(&key, &plaintext, &context).expect("owned encrypt");
        let mut roomy = vec![0u8; 4096 + 7];
        let opened = kms.decrypt_into(owned.ciphertext_blob.as_bytes(), &context, None, &mut roomy).expect("decrypt");
        assert_eq!(&roomy[..opened.plaintext_len], &plaintext[..]);
    }
}

/// A blob that does not open (other context, flipped tag) leaves `plaintext_out` all zero,
/// although the ciphertext was copied there to be opened in place.
pub fn a_failed_decrypt_into_leaves_no_bytes_in_the_buffer<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let context = ctx(&[("purpose", "wipe")]);
    let mut blob = vec![0u8; blob_len(64)];
    kms.encrypt_into(&key, &pattern(64), &context, &mut blob).expect("encrypt_into");
    let mut out = [0x5Au8; 64];
    assert_err!(kms.decrypt_into(&blob, &ctx(&[("purpose", "other")]), None, &mut out), Error::InvalidCiphertext);
    assert_eq!(out, [0u8; 64], "wrong context");
    let last = blob.len() - 1;
    blob[last] ^= 1;
    let mut out = [0x5Au8; 64];
    assert_err!(kms.decrypt_into(&blob, &context, None, &mut out), Error::InvalidCiphertext);
    assert_eq!(out, [0u8; 64], "flipped tag");
}

/// ReEncrypt into a buffer of exactly the source blob's length gives a blob of the destination
/// key that opens to the plaintext; one byte less is refused before the source is opened; a
/// source that does not open leaves nothing of the buffer but zeros where the plaintext went.
pub fn re_encrypt_into_a_buffer_at_its_edge<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let source = create(&mut kms);
    let destination = create(&mut kms);
    let (from, to) = (ctx(&[("a", "1")]), ctx(&[("b", "2")]));
    let plaintext = pattern(100);
    let blob = kms.encrypt(&text(&source), &plaintext, &from).expect("encrypt").ciphertext_blob;
    let blob = blob.as_bytes();

    let mut short = vec![0u8; blob.len() - 1];
    let refused = kms.re_encrypt_into(blob, &from, None, &text(&destination), &to, &mut short);
    assert_err!(refused, Error::Validation(v) if v == too_small(blob.len()));

    let mut out = vec![0u8; blob.len()];
    let resealed = kms.re_encrypt_into(blob, &from, None, &text(&destination), &to, &mut out).expect("re_encrypt");
    assert_eq!((resealed.source_key_id, resealed.key_id, resealed.blob_len), (source, destination, blob.len()));
    let back = kms.decrypt(&out, &to, Some(&text(&destination))).expect("decrypt");
    assert_eq!(back.plaintext.as_bytes(), &plaintext[..]);

    let mut out = vec![0x77u8; blob.len()];
    let wrong = kms.re_encrypt_into(blob, &to, None, &text(&destination), &to, &mut out);
    assert_err!(wrong, Error::InvalidCiphertext);
    assert!(out[BLOB_OVERHEAD - 16..blob.len() - 16].iter().all(|b| *b == 0), "no plaintext left behind");
}

/// GenerateDataKey into buffers: the plaintext buffer must hold the key and the blob buffer the
/// blob (exact lengths work, one byte less is refused); the blob opens to the key written.
/// Without plaintext, only the blob is written, and it opens to a key of the asked length.
pub fn generate_data_key_into_buffers_at_their_edge<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let context = EncryptionContext::empty();
    for spec in [DataKeySpec::Aes128, DataKeySpec::Aes256, DataKeySpec::NumberOfBytes(1024)] {
        let n = spec.len();
        let (mut plain, mut blob) = (vec![0u8; n - 1], vec![0u8; blob_len(n)]);
        let refused = kms.generate_data_key_into(&key, spec, &context, &mut plain, &mut blob);
        assert_err!(refused, Error::Validation(v) if v == too_small(n));
        let (mut plain, mut blob) = (vec![0u8; n], vec![0u8; blob_len(n) - 1]);
        let refused = kms.generate_data_key_into(&key, spec, &context, &mut plain, &mut blob);
        assert_err!(refused, Error::Validation(v) if v == too_small(blob_len(n)));
        assert!(plain.iter().all(|b| *b == 0), "a refused call writes no key");

        let mut blob = vec![0u8; blob_len(n)];
        let sealed = kms.generate_data_key_into(&key, spec, &context, &mut plain, &mut blob).expect("generate");
        assert_eq!(sealed.blob_len, blob_len(n));
        assert!(plain.iter().any(|b| *b != 0), "a key was drawn");
        assert_eq!(kms.decrypt(&blob, &context, None).expect("decrypt").plaintext.as_bytes(), &plain[..]);

        let mut blob = vec![0u8; blob_len(n) - 1];
        let refused = kms.generate_data_key_without_plaintext_into(&key, spec, &context, &mut blob);
        assert_err!(refused, Error::Validation(v) if v == too_small(blob_len(n)));
        let mut blob = vec![0u8; blob_len(n)];
        kms.generate_data_key_without_plaintext_into(&key, spec, &context, &mut blob).expect("without plaintext");
        assert_eq!(kms.decrypt(&blob, &context, None).expect("decrypt").plaintext.len(), n);
    }
    let mut random = [0u8; 48];
    kms.generate_random_into(&mut random).expect("random");
    assert!(random.iter().any(|b| *b != 0));
    assert!(kms.generate_random_into(&mut []).is_err());
    assert!(kms.generate_random_into(&mut [0u8; 1025]).is_err());
}

/// Contexts whose AAD is built on either side of the inline buffer (256 bytes of AAD: 233
/// encoded context bytes) round-trip, and each is refused for a context one byte different.
pub fn long_and_short_contexts_on_either_aad_path<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    // One pair "k" => value: 2 + (2 + 1) + (2 + value) encoded bytes.
    for value_len in [1usize, 226, 227, 228, 3000] {
        let value = "v".repeat(value_len);
        let other = format!("{}w", &value[1..]);
        let context = ctx(&[("k", value.as_str())]);
        let mut blob = vec![0u8; blob_len(16)];
        kms.encrypt_into(&key, &[7u8; 16], &context, &mut blob).expect("encrypt_into");
        let mut out = [0u8; 16];
        kms.decrypt_into(&blob, &context, None, &mut out).expect("decrypt_into");
        assert_eq!(out, [7u8; 16], "{value_len}");
        let refused = kms.decrypt_into(&blob, &ctx(&[("k", other.as_str())]), None, &mut out);
        assert_err!(refused, Error::InvalidCiphertext);
    }
}
