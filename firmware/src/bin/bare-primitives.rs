//! The baseline: the work of `coffer-demo` done with only the primitives Coffer uses (AES-256-GCM
//! seal/open, AES key wrap with padding, HMAC-SHA-256, the same ChaCha20 generator), so that
//! Coffer's flash, RAM and stack can be set against them as one ratio.
//!
//! The same sequence as the demo, each step calling the same primitives Coffer's would: root
//! keys; a key (material wrapped under the root wrapping key, in a record MACed under the root
//! sealing key); a data key and a secret sealed under it (record verified, key unwrapped, nonce
//! drawn, GCM seal with a header as AAD); two rotations (a new wrapped version, the record
//! MACed again); the version-1 blob and the data key opened after them; a blob refused under
//! other AAD. What it leaves out is everything Coffer adds: key ids, aliases, ARNs, key states
//! and lifecycle, encryption-context encoding, the record and blob formats, the store, the
//! clock, audit events, typed errors and argument checks.
//!
//! Run: `cargo run --release --features demo-seed --bin bare-primitives` in `firmware/`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use aes::Aes256;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use aes_kw::AesKwp;
use coffer_firmware::rng::{InsecureDemoRng, insecure_demo_rng};
use coffer_firmware::{Failed, check, ensure, finish, report};
use cortex_m_rt::entry;
use hmac::{Hmac, Mac};
use rand_core::Rng;
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const KEY_LEN: usize = 32;
const WRAPPED_LEN: usize = KEY_LEN + 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAC_LEN: usize = 32;
const VERSIONS: usize = 3;
/// A blob: version (4 bytes) as its header and AAD, nonce, ciphertext, tag.
const HEADER_LEN: usize = 4;
const MAX_PLAINTEXT: usize = 32;
const SECRET: &[u8] = b"calibration: 4111 1111 1111 1111";

/// The root keys.
struct Root {
    wrapping: Zeroizing<[u8; KEY_LEN]>,
    sealing: Zeroizing<[u8; KEY_LEN]>,
}

/// The key's record: its wrapped versions, MACed under the sealing key.
struct Record {
    wrapped: [[u8; WRAPPED_LEN]; VERSIONS],
    versions: usize,
    mac: [u8; MAC_LEN],
}

struct Blob {
    bytes: [u8; HEADER_LEN + NONCE_LEN + MAX_PLAINTEXT + TAG_LEN],
    len: usize,
}

#[entry]
fn main() -> ! {
    report(format_args!(
        "bare-primitives: Coffer's primitives alone (AES-256-GCM, AES-KWP, HMAC-SHA-256, ChaCha20 RNG)"
    ));
    report(format_args!("  WARNING: the RNG is seeded from INSECURE_DEMO_SEED (feature demo-seed): QEMU demo only"));
    finish("bare-primitives", run())
}

fn run() -> Result<(), Failed> {
    let mut rng = insecure_demo_rng();
    let mut root = Root { wrapping: Zeroizing::new([0; KEY_LEN]), sealing: Zeroizing::new([0; KEY_LEN]) };
    rng.fill_bytes(root.wrapping.as_mut_slice());
    rng.fill_bytes(root.sealing.as_mut_slice());
    report(format_args!("setup            root keys drawn"));

    let mut record = Record { wrapped: [[0; WRAPPED_LEN]; VERSIONS], versions: 0, mac: [0; MAC_LEN] };
    add_version(&mut rng, &root, &mut record)?;
    report(format_args!("created key      version 1 wrapped, record MACed"));

    let mut data_key = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(data_key.as_mut_slice());
    let data_key_blob = seal(&mut rng, &root, &record, data_key.as_slice())?;
    report(format_args!("data key         {} bytes, blob of {} bytes", KEY_LEN, data_key_blob.len));

    let old_blob = seal(&mut rng, &root, &record, SECRET)?;
    report(format_args!("encrypted        {} bytes under version {}", SECRET.len(), record.versions));

    add_version(&mut rng, &root, &mut record)?;
    add_version(&mut rng, &root, &mut record)?;
    ensure(record.versions == 3, "versions grow")?;
    report(format_args!("rotated          twice; current version {}", record.versions));

    let mut out = Zeroizing::new([0u8; MAX_PLAINTEXT]);
    let n = open(&root, &record, &old_blob, HEADER_LEN, out.as_mut_slice())?;
    ensure(out.get(..n) == Some(SECRET), "the version-1 blob decrypts")?;
    let n = open(&root, &record, &data_key_blob, HEADER_LEN, out.as_mut_slice())?;
    ensure(out.get(..n) == Some(data_key.as_slice()), "the data key unwraps")?;
    report(format_args!("decrypted        the version-1 blob and the data key after rotation"));

    let mut new_blob = seal(&mut rng, &root, &record, SECRET)?;
    ensure(new_blob.bytes.get(..HEADER_LEN) == Some(&3u32.to_be_bytes()[..]), "new blobs use the newest version")?;
    report(format_args!("encrypted        {} bytes under version {}", SECRET.len(), record.versions));
    // Other AAD: the header's last byte changed after sealing; GCM must refuse it.
    if let Some(b) = new_blob.bytes.get_mut(HEADER_LEN - 1) {
        *b ^= 0x80;
    }
    ensure(open(&root, &record, &new_blob, HEADER_LEN, out.as_mut_slice()).is_err(), "other AAD is refused")?;
    report(format_args!("refused          a blob whose AAD was changed"));

    #[cfg(not(feature = "kms-path-only"))]
    streamed_message(&mut rng, &root, &record)?;
    Ok(())
}

/// Plaintext bytes and frame length of the streamed message, as in coffer-demo.
#[cfg(not(feature = "kms-path-only"))]
const STREAM_LEN: usize = 3000;
#[cfg(not(feature = "kms-path-only"))]
const STREAM_FRAME: usize = 512;

#[cfg(not(feature = "kms-path-only"))]
fn stream_byte(i: usize) -> u8 {
    u8::try_from(i % 251).unwrap_or(0) ^ 0x5a
}

/// The streamed message's primitives, as Coffer's message path calls them: a data key sealed
/// under the key's newest version (its EDK), HKDF-SHA-512 of the data key and a random message
/// id into a content key and a commitment key, then AES-256-GCM frame by frame (sequence number
/// in the IV and the AAD), each frame opened again and checked. Left out: the header and its
/// tag, the format's layout, the keyring and the streaming state machines.
#[cfg(not(feature = "kms-path-only"))]
#[inline(never)]
fn streamed_message(rng: &mut InsecureDemoRng, root: &Root, record: &Record) -> Result<(), Failed> {
    let mut data_key = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(data_key.as_mut_slice());
    let edk = seal(rng, root, record, data_key.as_slice())?;
    let mut message_id = [0u8; 32];
    rng.fill_bytes(&mut message_id);
    let hkdf = hkdf::Hkdf::<sha2::Sha512>::new(Some(&message_id), data_key.as_slice());
    let mut content_key = Zeroizing::new([0u8; KEY_LEN]);
    let mut commitment = [0u8; 32];
    check(hkdf.expand(b"\x04\x78DERIVEKEY", content_key.as_mut_slice()), "HKDF content key")?;
    check(hkdf.expand(b"COMMITKEY", &mut commitment), "HKDF commitment key")?;
    let cipher = Aes256Gcm::new((&*content_key).into());
    let mut frame = Zeroizing::new([0u8; STREAM_FRAME]);
    let mut sent = 0;
    let mut sequence: u32 = 0;
    while sent < STREAM_LEN {
        sequence += 1;
        let n = STREAM_FRAME.min(STREAM_LEN - sent);
        let body = frame.get_mut(..n).ok_or(Failed("frame"))?;
        for (i, byte) in body.iter_mut().enumerate() {
            *byte = stream_byte(sent + i);
        }
        let mut iv = [0u8; NONCE_LEN];
        iv[NONCE_LEN - 4..].copy_from_slice(&sequence.to_be_bytes());
        let mut aad = [0u8; 32 + 4];
        aad[..32].copy_from_slice(&message_id);
        aad[32..].copy_from_slice(&sequence.to_be_bytes());
        let tag = check(cipher.encrypt_inout_detached((&iv).into(), &aad, (&mut *body).into()), "frame seal")?;
        check(cipher.decrypt_inout_detached((&iv).into(), &aad, (&mut *body).into(), &tag), "frame open")?;
        for (i, byte) in body.iter().enumerate() {
            ensure(*byte == stream_byte(sent + i), "the streamed plaintext comes back")?;
        }
        sent += n;
    }
    let mut out = Zeroizing::new([0u8; MAX_PLAINTEXT]);
    let n = open(root, record, &edk, HEADER_LEN, out.as_mut_slice())?;
    ensure(out.get(..n) == Some(data_key.as_slice()), "the data key unwraps")?;
    report(format_args!(
        "streamed message {STREAM_LEN} bytes in {STREAM_FRAME}-byte frames, {sequence} frames sealed and opened"
    ));
    Ok(())
}

/// The HMAC-SHA-256 of the record's versions under the sealing key.
fn record_mac(root: &Root, record: &Record) -> Result<HmacSha256, Failed> {
    let mut mac = check(HmacSha256::new_from_slice(root.sealing.as_slice()), "HMAC key")?;
    for wrapped in record.wrapped.iter().take(record.versions) {
        mac.update(wrapped);
    }
    Ok(mac)
}

/// Checks the record's MAC (as loading a sealed record does).
fn verify(root: &Root, record: &Record) -> Result<(), Failed> {
    check(record_mac(root, record)?.verify_slice(&record.mac), "record MAC")
}

/// A new version: fresh key material wrapped under the root wrapping key, the record MACed again.
#[inline(never)]
fn add_version(rng: &mut InsecureDemoRng, root: &Root, record: &mut Record) -> Result<(), Failed> {
    if record.versions > 0 {
        verify(root, record)?;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(key.as_mut_slice());
    let kwp = check(AesKwp::<Aes256>::new_from_slice(root.wrapping.as_slice()), "KWP key")?;
    let slot = record.wrapped.get_mut(record.versions).ok_or(Failed("too many versions"))?;
    let len = check(kwp.wrap_key(key.as_slice(), slot), "wrap")?.len();
    ensure(len == WRAPPED_LEN, "wrapped length")?;
    record.versions += 1;
    record.mac = record_mac(root, record)?.finalize().into_bytes().into();
    Ok(())
}

/// Unwraps version `version` (1-based) of the record into a key.
fn unwrap(root: &Root, record: &Record, version: usize) -> Result<Zeroizing<[u8; KEY_LEN]>, Failed> {
    verify(root, record)?;
    let wrapped = record.wrapped.get(version.wrapping_sub(1)).ok_or(Failed("no such version"))?;
    let kwp = check(AesKwp::<Aes256>::new_from_slice(root.wrapping.as_slice()), "KWP key")?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let len = check(kwp.unwrap_key(wrapped, key.as_mut_slice()), "unwrap")?.len();
    ensure(len == KEY_LEN, "unwrapped length")?;
    Ok(key)
}

/// Seals `plaintext` under the record's newest version: header (the version) as AAD.
#[inline(never)]
fn seal(rng: &mut InsecureDemoRng, root: &Root, record: &Record, plaintext: &[u8]) -> Result<Blob, Failed> {
    let key = unwrap(root, record, record.versions)?;
    let mut blob = Blob { bytes: [0; HEADER_LEN + NONCE_LEN + MAX_PLAINTEXT + TAG_LEN], len: 0 };
    let version = u32::try_from(record.versions).map_err(|_| Failed("version"))?;
    let (header, rest) = blob.bytes.split_at_mut(HEADER_LEN);
    header.copy_from_slice(&version.to_be_bytes());
    let (nonce, rest) = rest.split_at_mut(NONCE_LEN);
    rng.fill_bytes(nonce);
    let (body, rest) = rest.split_at_mut(plaintext.len());
    body.copy_from_slice(plaintext);
    let cipher = Aes256Gcm::new((&*key).into());
    let nonce: &[u8; NONCE_LEN] = check((&*nonce).try_into(), "nonce")?;
    let tag = check(cipher.encrypt_inout_detached(nonce.into(), header, body.into()), "GCM seal")?;
    rest.get_mut(..TAG_LEN).ok_or(Failed("tag room"))?.copy_from_slice(&tag);
    blob.len = HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN;
    Ok(blob)
}

/// Opens a blob into `out` under the version its header names; returns the plaintext length.
#[inline(never)]
fn open(root: &Root, record: &Record, blob: &Blob, header_len: usize, out: &mut [u8]) -> Result<usize, Failed> {
    let bytes = blob.bytes.get(..blob.len).ok_or(Failed("blob length"))?;
    let (header, rest) = bytes.split_at_checked(header_len).ok_or(Failed("blob header"))?;
    let version: [u8; 4] = check(header.try_into(), "blob header")?;
    let key = unwrap(root, record, usize::try_from(u32::from_be_bytes(version)).map_err(|_| Failed("version"))?)?;
    let (nonce, rest) = rest.split_at_checked(NONCE_LEN).ok_or(Failed("blob nonce"))?;
    let (body, tag) = rest.split_at_checked(rest.len().saturating_sub(TAG_LEN)).ok_or(Failed("blob tag"))?;
    let out = out.get_mut(..body.len()).ok_or(Failed("output room"))?;
    out.copy_from_slice(body);
    let cipher = Aes256Gcm::new((&*key).into());
    let nonce: &[u8; NONCE_LEN] = check(nonce.try_into(), "nonce")?;
    let tag: &[u8; TAG_LEN] = check(tag.try_into(), "tag")?;
    cipher.decrypt_inout_detached(nonce.into(), header, (&mut *out).into(), tag.into()).map_err(|_| {
        out.iter_mut().for_each(|b| *b = 0);
        Failed("GCM open")
    })?;
    Ok(out.len())
}
