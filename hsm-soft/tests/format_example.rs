//! The worked example of `docs/FORMAT.md`, checked byte for byte: a blob Coffer writes equals
//! the one built by hand from the documented layout with host AES-256-GCM, and equals the hex
//! printed in the document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::store::MemoryStore;
use coffer_core::{EncryptionContext, Kms, KmsConfig};
use common::*;

const ID_RANDOM: [u8; 16] = [0x11; 16];
const MATERIAL: [u8; 32] = [0x42; 32];
const NONCE: [u8; 12] = [0x24; 12];
/// The document whose worked example this checks.
const FORMAT_MD: &str = include_str!("../../docs/FORMAT.md");
const EXPECTED_BLOB_HEX: &str =
    "0111111111111141119111111111111111000000012424242424242424242424247df4a82d865f03b4255af5693d69c438755939ac23";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn worked_example_blob_matches_the_documented_layout() {
    let (hsm, script) = known_hsm();
    script.push(&ID_RANDOM); // CreateKey: key id
    script.push(&MATERIAL); // CreateKey: version 1 material, generated "inside" the HSM
    let clock = ManualClock::new(1_700_000_000);
    let mut store = Box::new(MemoryStore::<4>::new());
    let mut kms = Kms::new(hsm, &mut *store, &clock, NoAudit, KmsConfig::default()).unwrap();
    let key = kms.create_key("worked example").unwrap();
    assert_eq!(key.key_id.to_string(), "11111111-1111-4111-9111-111111111111");

    script.push(&NONCE); // Encrypt: the nonce
    let context = EncryptionContext::new(&[("purpose", "example")]).unwrap();
    let blob = kms.encrypt(&key.key_id.to_string(), b"hello", &context).unwrap().ciphertext_blob;

    // The same blob by hand, from docs/FORMAT.md.
    let mut header = vec![0x01];
    header.extend_from_slice(key.key_id.as_bytes());
    header.extend_from_slice(&1u32.to_be_bytes());
    let ctx: &[u8] = b"\x00\x01\x00\x07purpose\x00\x07example";
    let mut aad = header.clone();
    aad.extend_from_slice(&u16::try_from(ctx.len()).unwrap().to_be_bytes());
    aad.extend_from_slice(ctx);
    let (ct, tag) = host_seal(&MATERIAL, &NONCE, &aad, b"hello");
    let mut by_hand = header;
    by_hand.extend_from_slice(&NONCE);
    by_hand.extend_from_slice(&ct);
    by_hand.extend_from_slice(&tag);

    assert_eq!(hex(blob.as_bytes()), hex(&by_hand));
    assert_eq!(hex(blob.as_bytes()), EXPECTED_BLOB_HEX);
    let documented: String = FORMAT_MD.split_whitespace().collect();
    assert!(documented.contains(EXPECTED_BLOB_HEX), "docs/FORMAT.md's worked example is stale");

    // The key record's version 1 holds MATERIAL wrapped under the root (RFC 5649).
    let wrapped = host_wrap(&ROOT_WRAPPING, &MATERIAL);
    let name = key.key_id.to_string();
    drop(kms);
    let mut raw = [0u8; coffer_core::store::MAX_RECORD_LEN];
    use coffer_core::store::{KeyStore, RecordKind};
    let len = store.get(RecordKind::Key, &name, &mut raw).unwrap().unwrap();
    let record = &raw[..len];
    assert_eq!(&record[..4], b"CFR1");
    assert_eq!(len, 193, "a format-3 key record");
    assert_eq!(record[7 + 36], 3);
    assert_eq!(&record[len - 32 - 8 - 40..len - 32 - 8], wrapped.as_slice());
    // The Encrypt reserved the first batch of version 1's seals (65,536).
    assert_eq!(record[len - 32 - 8..len - 32], 65_536u64.to_be_bytes());
    // So does version 1's own record.
    let len = store.get(RecordKind::KeyVersion, &format!("{name}/0000000001"), &mut raw).unwrap().unwrap();
    assert_eq!(len, 156);
    assert_eq!(&raw[len - 32 - 40..len - 32], wrapped.as_slice());
}
