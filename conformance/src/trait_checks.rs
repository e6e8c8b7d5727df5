//! The [`Hsm`] trait on its own, generic over the backend: every check takes a fresh HSM whose
//! root keys exist.

use coffer_core::hsm::{ErrorKind, HsmError, MAC_LEN, MAX_SEAL_LEN, Mac, NONCE_LEN, Nonce, TAG_LEN, Tag};
use coffer_core::{Capabilities, Hsm};

use crate::fixture::pattern;

/// The error kind of a result, `None` for success.
fn kind<T, E: HsmError>(result: Result<T, E>) -> Option<ErrorKind> {
    result.err().map(|e| e.kind())
}

/// Generates a key version and loads it.
fn new_key<H: Hsm>(hsm: &mut H) -> H::Handle {
    let wrapped = hsm.generate_key().expect("generate_key");
    hsm.load_key(&wrapped).expect("load_key")
}

/// Seals a copy of `plaintext`; returns (nonce, ciphertext, tag).
fn seal<H: Hsm>(hsm: &mut H, key: H::Handle, aad: &[u8], plaintext: &[u8]) -> (Nonce, Vec<u8>, Tag) {
    let mut buf = plaintext.to_vec();
    let (nonce, tag) = hsm.seal(key, aad, &mut buf).expect("seal");
    (nonce, buf, tag)
}

/// Opens a copy of `ciphertext`; returns the buffer and the result.
fn open<H: Hsm>(
    hsm: &mut H,
    key: H::Handle,
    nonce: &Nonce,
    aad: &[u8],
    ciphertext: &[u8],
    tag: &Tag,
) -> (Vec<u8>, Option<ErrorKind>) {
    let mut buf = ciphertext.to_vec();
    let result = hsm.open(key, nonce, aad, &mut buf, tag);
    (buf, kind(result))
}

/// Flips bit `bit` (0 = most significant of byte 0) of `bytes`.
fn flip(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] ^= 0x80 >> (bit % 8);
}

/// The backend reports every capability the façade requires.
pub fn capabilities_contain_required<H: Hsm>(hsm: H) {
    let caps = hsm.capabilities();
    assert!(caps.contains(Capabilities::REQUIRED), "missing {:?} from {caps:?}", caps.missing(Capabilities::REQUIRED));
}

/// `find_root_keys` succeeds on an HSM whose root keys were created, and finds the same keys:
/// material wrapped before it still loads and MACs made before it still verify.
pub fn find_root_keys_succeeds<H: Hsm>(mut hsm: H) {
    let wrapped = hsm.generate_key().expect("generate_key");
    let mac = hsm.mac(b"before").expect("mac");
    assert_eq!(kind(hsm.find_root_keys()), None);
    let key = hsm.load_key(&wrapped).expect("material wrapped before find_root_keys loads");
    hsm.release_key(key).expect("release");
    assert_eq!(kind(hsm.verify_mac(b"before", &mac)), None);
}

/// Creating root keys on an HSM that has them is refused with `RootKeysExist`, and the
/// existing root keys stay: material wrapped before still loads and opens what it sealed,
/// MACs made before still verify.
pub fn create_root_keys_again_is_refused<H: Hsm>(mut hsm: H) {
    let wrapped = hsm.generate_key().expect("generate_key");
    let key = hsm.load_key(&wrapped).expect("load_key");
    let (nonce, ct, tag) = seal(&mut hsm, key, b"aad", b"kept across the refusal");
    hsm.release_key(key).expect("release");
    let mac = hsm.mac(b"record").expect("mac");

    assert_eq!(kind(hsm.create_root_keys()), Some(ErrorKind::RootKeysExist));
    assert_eq!(kind(hsm.create_root_keys()), Some(ErrorKind::RootKeysExist));

    let key = hsm.load_key(&wrapped).expect("old material still loads");
    let (pt, err) = open(&mut hsm, key, &nonce, b"aad", &ct, &tag);
    assert_eq!(err, None);
    assert_eq!(pt, b"kept across the refusal");
    assert_eq!(kind(hsm.verify_mac(b"record", &mac)), None);
}

/// Two fills of the same buffer differ, neither is constant, an empty fill succeeds, and a
/// 1024-byte fill (GenerateRandom's largest) succeeds with varied bytes.
pub fn fill_random_outputs_differ<H: Hsm>(mut hsm: H) {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    hsm.fill_random(&mut a).expect("fill_random");
    hsm.fill_random(&mut b).expect("fill_random");
    assert_ne!(a, b);
    assert!(a.iter().any(|&x| x != a[0]), "32 random bytes all equal");
    hsm.fill_random(&mut []).expect("an empty fill succeeds");
    let mut big = vec![0u8; 1024];
    hsm.fill_random(&mut big).expect("fill_random of 1024 bytes");
    let distinct = (0..=255u8).filter(|v| big.contains(v)).count();
    assert!(distinct > 128, "1024 random bytes take only {distinct} values");
}

/// Each `generate_key` gives new material: wrapped forms differ, and a ciphertext sealed under
/// one does not open under the other.
pub fn generated_keys_differ<H: Hsm>(mut hsm: H) {
    let w1 = hsm.generate_key().expect("generate_key");
    let w2 = hsm.generate_key().expect("generate_key");
    assert_ne!(w1.as_bytes(), w2.as_bytes());
    let k1 = hsm.load_key(&w1).expect("load");
    let k2 = hsm.load_key(&w2).expect("load");
    let (nonce, ct, tag) = seal(&mut hsm, k1, b"aad", &pattern(32));
    let (_, err) = open(&mut hsm, k2, &nonce, b"aad", &ct, &tag);
    assert_eq!(err, Some(ErrorKind::AuthenticationFailed));
}

/// Seal then open under one handle gives back the plaintext, for lengths 1, 15, 16, 17, 1000;
/// the ciphertext has the plaintext's length and differs from it.
pub fn seal_open_round_trip<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    for len in [1usize, 15, 16, 17, 1000] {
        let plaintext = pattern(len);
        let (nonce, ct, tag) = seal(&mut hsm, key, b"header", &plaintext);
        assert_eq!(ct.len(), len);
        if len >= 16 {
            assert_ne!(ct, plaintext, "seal left {len} bytes in the clear");
        }
        let (pt, err) = open(&mut hsm, key, &nonce, b"header", &ct, &tag);
        assert_eq!(err, None, "open of {len} bytes");
        assert_eq!(pt, plaintext);
    }
    hsm.release_key(key).expect("release");
}

/// A buffer of exactly [`MAX_SEAL_LEN`] bytes seals and opens.
pub fn seal_accepts_max_seal_len<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    let plaintext = pattern(MAX_SEAL_LEN);
    let (nonce, ct, tag) = seal(&mut hsm, key, b"max", &plaintext);
    assert_ne!(ct, plaintext);
    let (pt, err) = open(&mut hsm, key, &nonce, b"max", &ct, &tag);
    assert_eq!(err, None);
    assert_eq!(pt, plaintext);
}

/// An empty AAD is refused with `InvalidInput` by seal and by open (Coffer always binds a
/// header); the refused seal leaves the buffer as it was.
pub fn seal_and_open_refuse_empty_aad<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    let mut buf = pattern(32);
    assert_eq!(kind(hsm.seal(key, &[], &mut buf)), Some(ErrorKind::InvalidInput));
    assert_eq!(buf, pattern(32), "a refused seal touched the buffer");
    let (nonce, ct, tag) = seal(&mut hsm, key, b"aad", &pattern(32));
    let (_, err) = open(&mut hsm, key, &nonce, &[], &ct, &tag);
    assert_eq!(err, Some(ErrorKind::InvalidInput));
}

/// 64 successive seals of the same plaintext under the same key and AAD all use distinct
/// nonces and give distinct ciphertexts.
pub fn nonces_of_successive_seals_differ<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    let mut seen: Vec<(Nonce, Vec<u8>)> = Vec::new();
    for _ in 0..64 {
        let (nonce, ct, _) = seal(&mut hsm, key, b"aad", &[0u8; 16]);
        assert!(seen.iter().all(|(n, c)| *n != nonce && *c != ct), "a nonce or ciphertext repeated");
        seen.push((nonce, ct));
    }
    assert!(seen.iter().any(|(n, _)| n.0 != [0; NONCE_LEN]));
}

/// Every single-bit flip of the ciphertext, the tag, the nonce and the AAD is refused with
/// `AuthenticationFailed`, as are a ciphertext one byte short and one byte long; the
/// untouched inputs still open afterwards.
pub fn open_refuses_every_bit_flip<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    let aad = b"format|key id|version|context".to_vec();
    let plaintext = pattern(40);
    let (nonce, ct, tag) = seal(&mut hsm, key, &aad, &plaintext);

    for bit in 0..ct.len() * 8 {
        let mut bad = ct.clone();
        flip(&mut bad, bit);
        assert_eq!(
            open(&mut hsm, key, &nonce, &aad, &bad, &tag).1,
            Some(ErrorKind::AuthenticationFailed),
            "ct bit {bit}"
        );
    }
    for bit in 0..TAG_LEN * 8 {
        let mut bad = tag;
        flip(&mut bad.0, bit);
        assert_eq!(
            open(&mut hsm, key, &nonce, &aad, &ct, &bad).1,
            Some(ErrorKind::AuthenticationFailed),
            "tag bit {bit}"
        );
    }
    for bit in 0..NONCE_LEN * 8 {
        let mut bad = nonce;
        flip(&mut bad.0, bit);
        assert_eq!(
            open(&mut hsm, key, &bad, &aad, &ct, &tag).1,
            Some(ErrorKind::AuthenticationFailed),
            "nonce bit {bit}"
        );
    }
    for bit in 0..aad.len() * 8 {
        let mut bad = aad.clone();
        flip(&mut bad, bit);
        assert_eq!(
            open(&mut hsm, key, &nonce, &bad, &ct, &tag).1,
            Some(ErrorKind::AuthenticationFailed),
            "aad bit {bit}"
        );
    }
    let short = &ct[..ct.len() - 1];
    assert_eq!(open(&mut hsm, key, &nonce, &aad, short, &tag).1, Some(ErrorKind::AuthenticationFailed));
    let mut long = ct.clone();
    long.push(0);
    assert_eq!(open(&mut hsm, key, &nonce, &aad, &long, &tag).1, Some(ErrorKind::AuthenticationFailed));
    let mut short_aad = aad.clone();
    short_aad.pop();
    assert_eq!(open(&mut hsm, key, &nonce, &short_aad, &ct, &tag).1, Some(ErrorKind::AuthenticationFailed));

    let (pt, err) = open(&mut hsm, key, &nonce, &aad, &ct, &tag);
    assert_eq!(err, None);
    assert_eq!(pt, plaintext);
}

/// A ciphertext opened under another loaded key is refused with `AuthenticationFailed`.
pub fn open_refuses_another_key<H: Hsm>(mut hsm: H) {
    let k1 = new_key(&mut hsm);
    let k2 = new_key(&mut hsm);
    let (nonce, ct, tag) = seal(&mut hsm, k1, b"aad", &pattern(24));
    assert_eq!(open(&mut hsm, k2, &nonce, b"aad", &ct, &tag).1, Some(ErrorKind::AuthenticationFailed));
    assert_eq!(open(&mut hsm, k1, &nonce, b"aad", &ct, &tag).0, pattern(24));
}

/// After a failed open the buffer holds no plaintext: no position keeps the plaintext byte
/// beyond chance (the plaintext bytes are all non-zero, so a zeroed buffer passes, and so
/// does an untouched ciphertext; a decrypt-then-check backend that leaves the decryption
/// does not).
pub fn failed_open_releases_no_plaintext<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    let plaintext = pattern(256);
    let (nonce, ct, tag) = seal(&mut hsm, key, b"aad", &plaintext);
    let mut bad_tag = tag;
    bad_tag.0[0] ^= 1;
    let mut bad_ct = ct.clone();
    bad_ct[100] ^= 1;
    for (c, t) in [(&ct, &bad_tag), (&bad_ct, &tag)] {
        let (buf, err) = open(&mut hsm, key, &nonce, b"aad", c, t);
        assert_eq!(err, Some(ErrorKind::AuthenticationFailed));
        let same = buf.iter().zip(&plaintext).filter(|(a, b)| a == b).count();
        assert!(same <= 8, "{same} of 256 plaintext bytes left in the buffer after a failed open");
    }
}

/// A wrapped key with any single bit flipped fails to load with `AuthenticationFailed`; the
/// original still loads afterwards.
pub fn wrapped_key_bit_flips_fail_to_load<H: Hsm>(mut hsm: H) {
    let wrapped = hsm.generate_key().expect("generate_key");
    for bit in 0..wrapped.0.len() * 8 {
        let mut bad = wrapped.clone();
        flip(&mut bad.0, bit);
        assert_eq!(kind(hsm.load_key(&bad)), Some(ErrorKind::AuthenticationFailed), "wrapped bit {bit}");
    }
    let key = hsm.load_key(&wrapped).expect("the original still loads");
    hsm.release_key(key).expect("release");
}

/// Material is the same every time it is loaded: a second load of the same wrapped key (after
/// the first handle is released) opens what the first sealed.
pub fn reloaded_key_opens_what_it_sealed<H: Hsm>(mut hsm: H) {
    let wrapped = hsm.generate_key().expect("generate_key");
    let k1 = hsm.load_key(&wrapped).expect("load");
    let (nonce, ct, tag) = seal(&mut hsm, k1, b"aad", &pattern(48));
    hsm.release_key(k1).expect("release");
    let k2 = hsm.load_key(&wrapped).expect("reload");
    let (pt, err) = open(&mut hsm, k2, &nonce, b"aad", &ct, &tag);
    assert_eq!(err, None);
    assert_eq!(pt, pattern(48));
}

/// Two handles loaded at once are distinct, each works, and releasing one leaves the other
/// working.
pub fn loaded_keys_are_independent<H: Hsm>(mut hsm: H) {
    let wrapped = hsm.generate_key().expect("generate_key");
    let a = hsm.load_key(&wrapped).expect("load a");
    let b = hsm.load_key(&wrapped).expect("load b");
    assert_ne!(a, b, "two loads share a handle");
    let (nonce, ct, tag) = seal(&mut hsm, a, b"aad", &pattern(20));
    hsm.release_key(a).expect("release a");
    let (pt, err) = open(&mut hsm, b, &nonce, b"aad", &ct, &tag);
    assert_eq!(err, None);
    assert_eq!(pt, pattern(20));
    hsm.release_key(b).expect("release b");
}

/// After release, seal, open and a second release all give `KeyHandleInvalid`.
pub fn released_handle_is_invalid<H: Hsm>(mut hsm: H) {
    let key = new_key(&mut hsm);
    let (nonce, ct, tag) = seal(&mut hsm, key, b"aad", &pattern(16));
    hsm.release_key(key).expect("release");
    let mut buf = pattern(16);
    assert_eq!(kind(hsm.seal(key, b"aad", &mut buf)), Some(ErrorKind::KeyHandleInvalid));
    assert_eq!(open(&mut hsm, key, &nonce, b"aad", &ct, &tag).1, Some(ErrorKind::KeyHandleInvalid));
    assert_eq!(kind(hsm.release_key(key)), Some(ErrorKind::KeyHandleInvalid));
    // A new load may reuse the slot: the old handle must still not work for it.
    let fresh = new_key(&mut hsm);
    assert_eq!(kind(hsm.seal(key, b"aad", &mut buf)), Some(ErrorKind::KeyHandleInvalid));
    hsm.release_key(fresh).expect("release");
}

/// 200 load/release cycles succeed: releasing frees what loading took.
pub fn load_release_cycles_do_not_leak<H: Hsm>(mut hsm: H) {
    let wrapped = hsm.generate_key().expect("generate_key");
    for i in 0..200 {
        let key = hsm.load_key(&wrapped).unwrap_or_else(|e| panic!("load {i}: {e:?}"));
        hsm.release_key(key).expect("release");
    }
}

/// `mac` is deterministic, verifies with `verify_mac`, differs for different data, and works
/// for empty and 10 KiB inputs.
pub fn mac_verify_round_trip<H: Hsm>(mut hsm: H) {
    let m1 = hsm.mac(b"sealed record").expect("mac");
    let m2 = hsm.mac(b"sealed record").expect("mac");
    assert!(m1.ct_eq(&m2), "HMAC is deterministic");
    assert_eq!(m1.0.len(), MAC_LEN);
    assert_eq!(kind(hsm.verify_mac(b"sealed record", &m1)), None);
    let other = hsm.mac(b"sealed recore").expect("mac");
    assert!(!m1.ct_eq(&other));
    let empty = hsm.mac(&[]).expect("mac of nothing");
    assert_eq!(kind(hsm.verify_mac(&[], &empty)), None);
    let big = pattern(10 * 1024);
    let mac = hsm.mac(&big).expect("mac of 10 KiB");
    assert_eq!(kind(hsm.verify_mac(&big, &mac)), None);
}

/// Every single-bit flip of the data or of the MAC is refused with `AuthenticationFailed`,
/// as are a truncated and an extended input.
pub fn verify_mac_refuses_every_bit_flip<H: Hsm>(mut hsm: H) {
    let data = pattern(24);
    let mac = hsm.mac(&data).expect("mac");
    for bit in 0..data.len() * 8 {
        let mut bad = data.clone();
        flip(&mut bad, bit);
        assert_eq!(kind(hsm.verify_mac(&bad, &mac)), Some(ErrorKind::AuthenticationFailed), "data bit {bit}");
    }
    for bit in 0..MAC_LEN * 8 {
        let mut bad = Mac(mac.0);
        flip(&mut bad.0, bit);
        assert_eq!(kind(hsm.verify_mac(&data, &bad)), Some(ErrorKind::AuthenticationFailed), "mac bit {bit}");
    }
    assert_eq!(kind(hsm.verify_mac(&data[..23], &mac)), Some(ErrorKind::AuthenticationFailed));
    let mut long = data.clone();
    long.push(0);
    assert_eq!(kind(hsm.verify_mac(&long, &mac)), Some(ErrorKind::AuthenticationFailed));
    assert_eq!(kind(hsm.verify_mac(&data, &Mac([0; MAC_LEN]))), Some(ErrorKind::AuthenticationFailed));
}
