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
