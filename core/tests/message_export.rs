//! Writes Coffer-made messages to the directory named by `COFFER_ESDK_EXPORT`, for decryption
//! by the official SDK (`interop/esdk-python/esdk.py decrypt`). Skipped when unset.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use common::*;
use std::path::PathBuf;

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
