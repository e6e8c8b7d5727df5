//! Writes Coffer-made messages to the directory named by `COFFER_ESDK_EXPORT`, for decryption
//! by the official SDK (`interop/esdk-python/esdk.py decrypt`). Skipped when unset.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;
#[path = "common/kat.rs"]
mod kat;

use coffer_core::EncryptionContext;
use coffer_core::message::AlgorithmSuite;
use common::*;
use core::fmt::Write as _;
use std::path::PathBuf;

/// A manifest line for `check_coffer.py`: the keyring and context of a message that does not
/// use the default ones (raw AES `coffer-test`/`key-a`, the interop context).
fn manifest(key: &[u8], namespace: &str, name: &str, context: &[(&str, &str)]) -> String {
    let key_hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut ctx = String::from("{");
    for (i, (k, v)) in context.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(ctx, "{sep}\"{k}\": \"{v}\"").unwrap();
    }
    ctx.push('}');
    format!("{{\"key_hex\": \"{key_hex}\", \"namespace\": \"{namespace}\", \"name\": \"{name}\", \"context\": {ctx}}}")
}

#[test]
fn export_messages_for_the_official_sdk() {
    let Some(dir) = std::env::var_os("COFFER_ESDK_EXPORT").map(PathBuf::from) else {
        eprintln!("COFFER_ESDK_EXPORT unset: skipped");
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let ctx = EncryptionContext::new(&[("purpose", "interop"), ("名前", "値 ✓")]).unwrap();
    for suite in suites() {
        for (frame, len) in
            [(4096u32, 0usize), (4096, 1), (4096, 4095), (4096, 4096), (4096, 4097), (128, 1000), (65536, 900_000)]
        {
            let pt = plaintext(len);
            let msg = encrypt_with(&mut keyring_a(), &ctx, &config(suite, frame), len as u64, &pt, 777, 333);
            let name = format!("{:04x}-f{frame}-n{len}", suite.id());
            std::fs::write(dir.join(format!("{name}.ct")), &msg).unwrap();
            std::fs::write(dir.join(format!("{name}.pt")), &pt).unwrap();
        }
    }
    // The known-answer vectors of docs/FORMAT.md (message_kat.rs checks them byte for byte),
    // under their own keyring and context, named in NAME.json.
    for suite in [AlgorithmSuite::AesGcm256HkdfSha512Commit, AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384] {
        let name = format!("{:04x}-kat", suite.id());
        std::fs::write(dir.join(format!("{name}.ct")), kat::kat(suite)).unwrap();
        std::fs::write(dir.join(format!("{name}.pt")), kat::PLAINTEXT).unwrap();
        let json = manifest(&kat::WRAPPING_KEY, kat::NAMESPACE, kat::KEY_NAME, kat::CONTEXT);
        std::fs::write(dir.join(format!("{name}.json")), json).unwrap();
    }
}

/// Messages that share a data key through the data-key cache: ordinary messages for the SDK
/// (each with its own message id), written beside the others.
#[test]
fn export_cached_messages_for_the_official_sdk() {
    use coffer_core::clock::ManualClock;
    use coffer_core::message::{CacheLimits, CachingCmm, Encryptor, Header, Limits, LocalCache, MAX_HEADER_LEN};
    let Some(dir) = std::env::var_os("COFFER_ESDK_EXPORT").map(PathBuf::from) else {
        eprintln!("COFFER_ESDK_EXPORT unset: skipped");
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let ctx = EncryptionContext::new(&[("purpose", "interop"), ("名前", "値 ✓")]).unwrap();
    let clock = ManualClock::new(0);
    let mut rng = TestRng(778);
    for suite in suites() {
        let mut cache: LocalCache<1, 0> = LocalCache::new();
        let mut cmm = CachingCmm::new(&mut cache, keyring_a(), &clock, CacheLimits::new(60), &mut rng).unwrap();
        let mut edks = Vec::new();
        for (i, len) in [0usize, 100, 5000].into_iter().enumerate() {
            let pt = plaintext(len);
            let config = config(suite, 4096);
            let mut ws = vec![0u8; Encryptor::workspace_len(4096).max(MAX_HEADER_LEN)];
            let mut enc = cmm.encryptor(&ctx, &config, Some(len as u64), &mut rng, &mut ws).unwrap();
            let mut msg = vec![0u8; len + 4096];
            let (_, n) = enc.update(&pt, &mut msg).unwrap();
            let (w, done) = enc.finish(&mut msg[n..]).unwrap();
            assert!(done);
            msg.truncate(n + w);
            drop(enc);
            edks.push(Header::parse(&msg, &Limits::default()).unwrap().0.edks[0].ciphertext.to_vec());
            let name = format!("{:04x}-cached-{i}-n{len}", suite.id());
            std::fs::write(dir.join(format!("{name}.ct")), &msg).unwrap();
            std::fs::write(dir.join(format!("{name}.pt")), &pt).unwrap();
        }
        assert!(edks.windows(2).all(|w| w[0] == w[1]), "the three messages share one data key");
        assert_eq!(cmm.stats().keyring_calls, 1);
    }
}
