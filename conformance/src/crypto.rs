//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and
//! GenerateRandom through the façade.

use coffer_core::data::BLOB_OVERHEAD;
use coffer_core::key::KeyState;
use coffer_core::{DataKeySpec, EncryptionContext, Error, Field, Hsm, Problem, ValidationError};

use crate::fixture::{
    Stores, alias_arn, contains, create, ctx, decrypt, encrypt, key_arn, pattern, snapshot, text, unknown_id,
};

/// Encrypt then Decrypt gives back 1, 32 and 4096-byte plaintexts, under the empty and a
/// non-empty context: the answer names the key and version 1, the blob is the plaintext plus
/// [`BLOB_OVERHEAD`] bytes, its header names the key and version, and it does not contain the
/// plaintext.
pub fn encrypt_decrypt_round_trip<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    for context in [EncryptionContext::empty(), ctx(&[("tenant", "acme"), ("purpose", "test")])] {
        for len in [1usize, 32, 4096] {
            let plaintext = pattern(len);
            let out = kms.encrypt(&text(&id), &plaintext, &context).expect("encrypt");
            assert_eq!(out.key_id, id);
            assert_eq!(out.version, 1);
            let blob = out.ciphertext_blob.as_bytes();
            assert_eq!(blob.len(), len + BLOB_OVERHEAD);
            let header = out.ciphertext_blob.header().expect("header");
            assert_eq!(header.key_id, id);
            assert_eq!(header.version, 1);
            if len >= 16 {
                assert!(!contains(blob, &plaintext[..16]), "the blob holds plaintext");
            }
            let back = kms.decrypt(blob, &context, None).expect("decrypt");
            assert_eq!(back.key_id, id);
            assert_eq!(back.version, 1);
            assert_eq!(back.plaintext.as_bytes(), plaintext.as_slice());
        }
    }
}

/// Encrypt accepts the key by id (either case), key ARN, alias name and alias ARN, each time
/// sealing under that key; an unknown alias, unknown id or foreign ARN is NotFound and a
/// malformed reference is a Validation error on KeyId.
pub fn encrypt_through_every_key_reference<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    kms.create_alias("alias/app", &text(&id)).expect("create_alias");
    for reference in [text(&id), text(&id).to_uppercase(), key_arn(&id), "alias/app".to_owned(), alias_arn("alias/app")]
    {
        let out = kms.encrypt(&reference, b"hello", &ctx(&[])).expect("encrypt");
        assert_eq!(out.key_id, id, "reference {reference}");
        assert_eq!(decrypt(&mut kms, out.ciphertext_blob.as_bytes(), &ctx(&[])), b"hello");
    }
    assert_err!(kms.encrypt("alias/other", b"x", &ctx(&[])), Error::NotFound);
    assert_err!(kms.encrypt(&text(&unknown_id()), b"x", &ctx(&[])), Error::NotFound);
    let foreign = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    assert_err!(kms.encrypt(&foreign, b"x", &ctx(&[])), Error::NotFound);
    assert_err!(
        kms.encrypt("my-key", b"x", &ctx(&[])),
        Error::Validation(ValidationError { field: Field::KeyId, problem: Problem::Malformed })
    );
}

/// Two encryptions of the same plaintext give different blobs (fresh nonces), both of which
/// decrypt.
pub fn blobs_of_the_same_plaintext_differ<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let one = encrypt(&mut kms, &key, b"same", &ctx(&[]));
    let two = encrypt(&mut kms, &key, b"same", &ctx(&[]));
    assert_ne!(one.as_bytes(), two.as_bytes());
    assert_eq!(decrypt(&mut kms, one.as_bytes(), &ctx(&[])), b"same");
    assert_eq!(decrypt(&mut kms, two.as_bytes(), &ctx(&[])), b"same");
}

/// Decrypt with any context but the one used is InvalidCiphertext: empty, a pair missing, a
/// pair added, a value or key changed, and a boundary moved between key and value.
pub fn context_must_match<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let used = ctx(&[("tenant", "acme"), ("ab", "c")]);
    let blob = encrypt(&mut kms, &key, b"bound", &used);
    let wrong = [
        EncryptionContext::empty(),
        ctx(&[("tenant", "acme")]),
        ctx(&[("tenant", "acme"), ("ab", "c"), ("x", "y")]),
        ctx(&[("tenant", "Acme"), ("ab", "c")]),
        ctx(&[("Tenant", "acme"), ("ab", "c")]),
        ctx(&[("tenant", "acme"), ("a", "bc")]),
        ctx(&[("tenant", "acme"), ("abc", "")]),
    ];
    for context in &wrong {
        assert_err!(kms.decrypt(blob.as_bytes(), context, None), Error::InvalidCiphertext);
    }
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &used), b"bound");

    let unbound = encrypt(&mut kms, &key, b"no context", &EncryptionContext::empty());
    assert_err!(kms.decrypt(unbound.as_bytes(), &ctx(&[("a", "b")]), None), Error::InvalidCiphertext);
    assert_err!(kms.decrypt(unbound.as_bytes(), &ctx(&[("", "")]), None), Error::InvalidCiphertext);
}

/// The same pairs given in another order decrypt.
pub fn context_order_does_not_matter<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let blob = encrypt(&mut kms, &key, b"ordered", &ctx(&[("z", "1"), ("a", "2"), ("m", "3")]));
    let reordered = ctx(&[("m", "3"), ("z", "1"), ("a", "2")]);
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &reordered), b"ordered");
}

/// Decrypt with an expected key other than the blob's (by id, key ARN, alias, or an unknown
/// id) is IncorrectKey; with the blob's own key in any form it succeeds; an unknown alias as
/// expected key is NotFound.
pub fn expected_key_mismatch_is_incorrect_key<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    kms.create_alias("alias/a", &text(&a)).expect("alias");
    kms.create_alias("alias/b", &text(&b)).expect("alias");
    let blob = encrypt(&mut kms, &text(&a), b"under a", &ctx(&[]));
    for other in [text(&b), key_arn(&b), "alias/b".to_owned(), alias_arn("alias/b"), text(&unknown_id())] {
        assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), Some(&other)), Error::IncorrectKey);
    }
    for own in [text(&a), key_arn(&a), "alias/a".to_owned(), alias_arn("alias/a")] {
        let back = kms.decrypt(blob.as_bytes(), &ctx(&[]), Some(&own)).expect("decrypt");
        assert_eq!(back.plaintext.as_bytes(), b"under a");
    }
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), Some("alias/none")), Error::NotFound);
}

/// A Disabled key refuses Encrypt, Decrypt, ReEncrypt (as source and as destination),
/// GenerateDataKey and GenerateDataKeyWithoutPlaintext with Disabled; a key pending deletion
/// refuses them with InvalidState(PendingDeletion); none of the refusals changes the store.
pub fn disabled_and_pending_keys_refuse_crypto<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let good = text(&create(&mut kms));
    let disabled = text(&create(&mut kms));
    let pending = text(&create(&mut kms));
    let c = ctx(&[]);
    let good_blob = encrypt(&mut kms, &good, b"good", &c);
    let disabled_blob = encrypt(&mut kms, &disabled, b"disabled", &c);
    let pending_blob = encrypt(&mut kms, &pending, b"pending", &c);
    kms.disable_key(&disabled).expect("disable");
    kms.schedule_key_deletion(&pending, Some(7)).expect("schedule");
    let before = snapshot(&mut kms);

    assert_err!(kms.encrypt(&disabled, b"x", &c), Error::Disabled);
    assert_err!(kms.decrypt(disabled_blob.as_bytes(), &c, None), Error::Disabled);
    assert_err!(kms.re_encrypt(disabled_blob.as_bytes(), &c, None, &good, &c), Error::Disabled);
    assert_err!(kms.re_encrypt(good_blob.as_bytes(), &c, None, &disabled, &c), Error::Disabled);
    assert_err!(kms.generate_data_key(&disabled, DataKeySpec::Aes256, &c), Error::Disabled);
    assert_err!(kms.generate_data_key_without_plaintext(&disabled, DataKeySpec::Aes256, &c), Error::Disabled);

    let p = KeyState::PendingDeletion;
    assert_err!(kms.encrypt(&pending, b"x", &c), Error::InvalidState(s) if s == p);
    assert_err!(kms.decrypt(pending_blob.as_bytes(), &c, None), Error::InvalidState(s) if s == p);
    assert_err!(kms.re_encrypt(pending_blob.as_bytes(), &c, None, &good, &c), Error::InvalidState(s) if s == p);
    assert_err!(kms.re_encrypt(good_blob.as_bytes(), &c, None, &pending, &c), Error::InvalidState(s) if s == p);
    assert_err!(kms.generate_data_key(&pending, DataKeySpec::Aes256, &c), Error::InvalidState(s) if s == p);
    assert_err!(
        kms.generate_data_key_without_plaintext(&pending, DataKeySpec::Aes256, &c),
        Error::InvalidState(s) if s == p
    );
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(decrypt(&mut kms, good_blob.as_bytes(), &c), b"good");
}

/// ReEncrypt from key A under context 1 to key B under context 2 answers both keys and
/// versions; the new blob decrypts only with context 2 and only as B's (expected key A is
/// IncorrectKey); the source still decrypts. ReEncrypt to the same key after a rotation moves
/// the blob to the newest version.
pub fn re_encrypt_to_another_key_and_context<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    let c1 = ctx(&[("stage", "one")]);
    let c2 = ctx(&[("stage", "two")]);
    let source = encrypt(&mut kms, &text(&a), b"moving", &c1);

    let moved = kms.re_encrypt(source.as_bytes(), &c1, Some(&text(&a)), &text(&b), &c2).expect("re_encrypt");
    assert_eq!(moved.source_key_id, a);
    assert_eq!(moved.source_version, 1);
    assert_eq!(moved.key_id, b);
    assert_eq!(moved.version, 1);
    assert_eq!(moved.ciphertext_blob.header().expect("header").key_id, b);
    assert_ne!(moved.ciphertext_blob.as_bytes(), source.as_bytes());

    let blob = moved.ciphertext_blob.as_bytes();
    assert_err!(kms.decrypt(blob, &c1, None), Error::InvalidCiphertext);
    assert_err!(kms.decrypt(blob, &EncryptionContext::empty(), None), Error::InvalidCiphertext);
    assert_err!(kms.decrypt(blob, &c2, Some(&text(&a))), Error::IncorrectKey);
    let back = kms.decrypt(blob, &c2, Some(&text(&b))).expect("decrypt");
    assert_eq!(back.key_id, b);
    assert_eq!(back.plaintext.as_bytes(), b"moving");
    assert_eq!(decrypt(&mut kms, source.as_bytes(), &c1), b"moving");

    kms.rotate_key_on_demand(&text(&a)).expect("rotate");
    let same = kms.re_encrypt(source.as_bytes(), &c1, None, &text(&a), &c1).expect("re_encrypt");
    assert_eq!((same.source_key_id, same.source_version), (a, 1));
    assert_eq!((same.key_id, same.version), (a, 2));
    assert_eq!(decrypt(&mut kms, same.ciphertext_blob.as_bytes(), &c1), b"moving");
}

/// ReEncrypt refuses: a wrong source context (InvalidCiphertext), a source key other than the
/// blob's (IncorrectKey), a malformed destination (Validation on DestinationKeyId), an unknown
/// destination alias or id (NotFound), a tampered source (InvalidCiphertext); the store is
/// unchanged.
pub fn re_encrypt_refusals<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = text(&create(&mut kms));
    let b = text(&create(&mut kms));
    let c1 = ctx(&[("stage", "one")]);
    let source = encrypt(&mut kms, &a, b"moving", &c1);
    let before = snapshot(&mut kms);

    assert_err!(kms.re_encrypt(source.as_bytes(), &ctx(&[("stage", "two")]), None, &b, &c1), Error::InvalidCiphertext);
    assert_err!(kms.re_encrypt(source.as_bytes(), &c1, Some(&b), &b, &c1), Error::IncorrectKey);
    assert_err!(
        kms.re_encrypt(source.as_bytes(), &c1, None, "not a key", &c1),
        Error::Validation(ValidationError { field: Field::DestinationKeyId, problem: Problem::Malformed })
    );
    assert_err!(kms.re_encrypt(source.as_bytes(), &c1, None, "alias/none", &c1), Error::NotFound);
    assert_err!(kms.re_encrypt(source.as_bytes(), &c1, None, &text(&unknown_id()), &c1), Error::NotFound);
    let mut tampered = source.as_bytes().to_vec();
    *tampered.last_mut().expect("non-empty") ^= 1;
    assert_err!(kms.re_encrypt(&tampered, &c1, None, &b, &c1), Error::InvalidCiphertext);
    assert_eq!(snapshot(&mut kms), before);
}

/// GenerateDataKey gives 16 bytes for AES_128, 32 for AES_256 and N for NumberOfBytes(N); the
/// answer names the key, the blob's header names key and version 1, the blob does not hold
/// the plaintext, decrypts (with the same context only) to the same bytes, and two data keys
/// differ.
pub fn generate_data_key_lengths_and_round_trip<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let c = ctx(&[("file", "report.pdf")]);
    for (spec, len) in [(DataKeySpec::Aes128, 16), (DataKeySpec::Aes256, 32), (DataKeySpec::NumberOfBytes(64), 64)] {
        let dk = kms.generate_data_key(&text(&id), spec, &c).expect("generate_data_key");
        assert_eq!(dk.key_id, id);
        assert_eq!(dk.plaintext.len(), len);
        let header = dk.ciphertext_blob.header().expect("header");
        assert_eq!((header.key_id, header.version), (id, 1));
        assert_eq!(dk.ciphertext_blob.as_bytes().len(), len + BLOB_OVERHEAD);
        assert!(!contains(dk.ciphertext_blob.as_bytes(), dk.plaintext.as_bytes()));
        assert_eq!(decrypt(&mut kms, dk.ciphertext_blob.as_bytes(), &c), dk.plaintext.as_bytes());
        assert_err!(kms.decrypt(dk.ciphertext_blob.as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
    }
    let one = kms.generate_data_key(&text(&id), DataKeySpec::Aes256, &c).expect("generate_data_key");
    let two = kms.generate_data_key(&text(&id), DataKeySpec::Aes256, &c).expect("generate_data_key");
    assert_ne!(one.plaintext.as_bytes(), two.plaintext.as_bytes());
}

/// GenerateDataKeyWithoutPlaintext answers the key, version and a blob that decrypts to 32
/// bytes (AES_256) or 16 (AES_128); after a rotation it names version 2.
pub fn generate_data_key_without_plaintext<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let c = ctx(&[("purpose", "later")]);
    let out = kms.generate_data_key_without_plaintext(&text(&id), DataKeySpec::Aes256, &c).expect("generate");
    assert_eq!((out.key_id, out.version), (id, 1));
    assert_eq!(out.ciphertext_blob.as_bytes().len(), 32 + BLOB_OVERHEAD);
    assert_eq!(decrypt(&mut kms, out.ciphertext_blob.as_bytes(), &c).len(), 32);
    let short = kms.generate_data_key_without_plaintext(&text(&id), DataKeySpec::Aes128, &c).expect("generate");
    assert_eq!(decrypt(&mut kms, short.ciphertext_blob.as_bytes(), &c).len(), 16);
    kms.rotate_key_on_demand(&text(&id)).expect("rotate");
    let newer = kms.generate_data_key_without_plaintext(&text(&id), DataKeySpec::Aes256, &c).expect("generate");
    assert_eq!(newer.version, 2);
    assert_eq!(newer.ciphertext_blob.header().expect("header").version, 2);
    assert_eq!(decrypt(&mut kms, newer.ciphertext_blob.as_bytes(), &c).len(), 32);
}

/// GenerateRandom gives exactly the bytes asked for (1, 16, 32, 1024), and two calls differ.
pub fn generate_random_lengths_and_freshness<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    for n in [1usize, 16, 32, 1024] {
        assert_eq!(kms.generate_random(n).expect("generate_random").len(), n);
    }
    let one = kms.generate_random(32).expect("generate_random");
    let two = kms.generate_random(32).expect("generate_random");
    assert_ne!(one.as_bytes(), two.as_bytes());
    let big = kms.generate_random(1024).expect("generate_random");
    let distinct = (0..=255u8).filter(|v| big.as_bytes().contains(v)).count();
    assert!(distinct > 128, "1024 random bytes take only {distinct} values");
}

/// 100 failed decryptions (wrong context, edited tag) leave the HSM able to load keys: every
/// key handle the façade loads is released, also on failure.
pub fn failed_decrypts_release_their_handles<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let blob = encrypt(&mut kms, &key, b"handles", &ctx(&[("a", "b")]));
    let mut edited = blob.as_bytes().to_vec();
    *edited.last_mut().expect("non-empty") ^= 0x40;
    for _ in 0..50 {
        assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
        assert_err!(kms.decrypt(&edited, &ctx(&[("a", "b")]), None), Error::InvalidCiphertext);
    }
    for _ in 0..50 {
        let again = encrypt(&mut kms, &key, b"still works", &ctx(&[]));
        assert_eq!(decrypt(&mut kms, again.as_bytes(), &ctx(&[])), b"still works");
    }
}
