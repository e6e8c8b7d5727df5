//! Debug output never shows key bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::hsm::Hsm;
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use common::*;

/// A recognisable key: 0xA7 repeated, whose Debug forms would be `167` or `a7`/`A7`.
const PATTERN: [u8; 32] = [0xa7; 32];

fn assert_redacted(text: &str) {
    for needle in ["167", "a7", "A7", "0xa7", "[167"] {
        assert!(!text.contains(needle), "{needle:?} in {text:?}");
    }
}

#[test]
fn root_key_material_debug_shows_no_bytes() {
    let material = RootKeyMaterial::new(PATTERN, PATTERN);
    assert_redacted(&format!("{material:?}"));
    assert_redacted(&format!("{material:#?}"));
}

#[test]
fn soft_hsm_debug_shows_no_bytes() {
    let mut hsm: SoftHsm<_> = SoftHsm::with_root_keys(getrandom::SysRng, RootKeyMaterial::new(PATTERN, PATTERN));
    let wrapped = host_wrap_key(&PATTERN, &PATTERN);
    hsm.load_key(&wrapped).unwrap();
    let text = format!("{hsm:?} {hsm:#?}");
    assert_redacted(&text);
    assert!(text.contains("present"), "{text}");
    assert!(text.contains("in_use: 1"), "{text}");
}

#[test]
fn sealed_root_keys_debug_shows_only_the_length() {
    let mut hsm: SoftHsm<_> = SoftHsm::with_root_keys(getrandom::SysRng, RootKeyMaterial::new(PATTERN, PATTERN));
    let sealed = hsm.export_root_keys(&PATTERN).unwrap();
    assert_eq!(format!("{sealed:?}"), "SealedRootKeys([96 bytes])");
}
