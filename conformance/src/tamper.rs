//! Tampering: every single-bit flip of a blob and of a sealed record, truncations, edited
//! headers, and records moved under another name are all refused, and refusing changes
//! nothing.

use coffer_core::data::{BLOB_HEADER_LEN, BLOB_VERSION};
use coffer_core::key::KeyState;
use coffer_core::store::{MAX_RECORD_LEN, RecordKind};
use coffer_core::{DataKeySpec, Error, Hsm, KeyStore};

use crate::fixture::{
    Stores, TestKms, all_keys, create, ctx, decrypt, edit_record, encrypt, pattern, snapshot, text, unknown_id,
};

/// Flips bit `bit` (0 = most significant of byte 0) of `bytes`.
fn flip(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] ^= 0x80 >> (bit % 8);
}

/// Flips one bit of a stored record.
fn flip_record<H: Hsm>(kms: &mut TestKms<'_, H>, kind: RecordKind, name: &str, bit: usize) {
    edit_record(kms.store_mut(), kind, name, |r| flip(r, bit));
}

/// The length of a stored record.
fn record_len<H: Hsm>(kms: &mut TestKms<'_, H>, kind: RecordKind, name: &str) -> usize {
    let mut buf = vec![0u8; MAX_RECORD_LEN];
    kms.store_mut().get(kind, name, &mut buf).expect("get").expect("record exists")
}

/// Every single-bit flip of a blob is refused: in the format byte, the version, the nonce,
/// the ciphertext and the tag with InvalidCiphertext; in the key id (which then names no
/// key) with NotFound. The original still decrypts.
pub fn every_blob_bit_flip_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let c = ctx(&[("tenant", "acme")]);
    let blob = encrypt(&mut kms, &key, &pattern(32), &c);
    let bytes = blob.as_bytes();
    for bit in 0..bytes.len() * 8 {
        let mut bad = bytes.to_vec();
        flip(&mut bad, bit);
        let in_key_id = (1..17).contains(&(bit / 8));
        let result = kms.decrypt(&bad, &c, None);
        if in_key_id {
            assert_err!(result, Error::NotFound);
        } else {
            assert_err!(result, Error::InvalidCiphertext);
        }
    }
    assert_eq!(decrypt(&mut kms, bytes, &c), pattern(32));
}

/// Every truncation of a blob (1 byte up to one byte short) and a blob with a byte appended
/// or another format byte are InvalidCiphertext.
pub fn truncated_or_extended_blobs_are_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let blob = encrypt(&mut kms, &key, &pattern(20), &ctx(&[]));
    let bytes = blob.as_bytes();
    for len in 1..bytes.len() {
        assert_err!(kms.decrypt(&bytes[..len], &ctx(&[]), None), Error::InvalidCiphertext);
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_err!(kms.decrypt(&longer, &ctx(&[]), None), Error::InvalidCiphertext);
    for format in [0u8, BLOB_VERSION + 1, 0xff] {
        let mut other = bytes.to_vec();
        other[0] = format;
        assert_err!(kms.decrypt(&other, &ctx(&[]), None), Error::InvalidCiphertext);
    }
}

/// A blob whose header is edited to name another held version of its key, a version not held,
/// or another existing key (with or without that key as expected key) is InvalidCiphertext,
/// as is a blob with another blob's nonce or another blob's header: the header is bound into
/// the tag.
pub fn edited_blob_header_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    let blob = encrypt(&mut kms, &text(&a), b"header bound", &ctx(&[]));
    kms.rotate_key_on_demand(&text(&a)).expect("rotate");
    let newer = encrypt(&mut kms, &text(&a), b"header bound", &ctx(&[]));
    let bytes = blob.as_bytes();

    for version in [2u32, 3, 0] {
        let mut edited = bytes.to_vec();
        edited[17..21].copy_from_slice(&version.to_be_bytes());
        assert_err!(kms.decrypt(&edited, &ctx(&[]), None), Error::InvalidCiphertext);
    }
    let mut other_key = bytes.to_vec();
    other_key[1..17].copy_from_slice(b.as_bytes());
    assert_err!(kms.decrypt(&other_key, &ctx(&[]), None), Error::InvalidCiphertext);
    assert_err!(kms.decrypt(&other_key, &ctx(&[]), Some(&text(&b))), Error::InvalidCiphertext);

    let mut spliced = newer.as_bytes()[..BLOB_HEADER_LEN].to_vec();
    spliced.extend_from_slice(&bytes[BLOB_HEADER_LEN..]);
    assert_err!(kms.decrypt(&spliced, &ctx(&[]), None), Error::InvalidCiphertext);
    let mut other_nonce = bytes.to_vec();
    other_nonce[BLOB_HEADER_LEN..BLOB_HEADER_LEN + 12]
        .copy_from_slice(&newer.as_bytes()[BLOB_HEADER_LEN..BLOB_HEADER_LEN + 12]);
    assert_err!(kms.decrypt(&other_nonce, &ctx(&[]), None), Error::InvalidCiphertext);

    assert_eq!(decrypt(&mut kms, bytes, &ctx(&[])), b"header bound");
    assert_eq!(decrypt(&mut kms, newer.as_bytes(), &ctx(&[])), b"header bound");
}

/// Every single-bit flip of a sealed key record (magic, kind, name, body, MAC) is refused:
/// DescribeKey and Decrypt of the key's blob give CorruptRecord. Flipped back, the record
/// works again and the store is as before.
pub fn every_key_record_bit_flip_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let name = text(&id);
    let blob = encrypt(&mut kms, &name, b"record", &ctx(&[]));
    let before = snapshot(&mut kms);
    let len = record_len(&mut kms, RecordKind::Key, &name);
    for bit in 0..len * 8 {
        flip_record(&mut kms, RecordKind::Key, &name, bit);
        assert_err!(kms.describe_key(&name), Error::CorruptRecord);
        assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
        flip_record(&mut kms, RecordKind::Key, &name, bit);
    }
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"record");
}

/// Every single-bit flip of a sealed alias record is refused: resolving the alias gives
/// CorruptRecord. The key itself stays usable by id throughout.
pub fn every_alias_record_bit_flip_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    kms.create_alias("alias/app", &text(&id)).expect("alias");
    let before = snapshot(&mut kms);
    let len = record_len(&mut kms, RecordKind::Alias, "alias/app");
    for bit in 0..len * 8 {
        flip_record(&mut kms, RecordKind::Alias, "alias/app", bit);
        assert_err!(kms.describe_key("alias/app"), Error::CorruptRecord);
        flip_record(&mut kms, RecordKind::Alias, "alias/app", bit);
    }
    assert_eq!(kms.describe_key(&text(&id)).expect("key by id").key_id, id);
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(kms.describe_key("alias/app").expect("alias restored").key_id, id);
}

/// A key record with one flipped bit is refused as CorruptRecord (code `CorruptRecordException`)
/// by every operation that reads it, is counted and skipped by maintenance, still listed by
/// name in ListKeys, and never written over.
pub fn corrupt_record_is_refused_everywhere_and_left_alone<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let other = text(&create(&mut kms));
    let key = text(&id);
    let c = ctx(&[]);
    let blob = encrypt(&mut kms, &key, b"corrupt", &c);
    let other_blob = encrypt(&mut kms, &other, b"other", &c);
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    let len = record_len(&mut kms, RecordKind::Key, &key);
    flip_record(&mut kms, RecordKind::Key, &key, len * 4);
    let before = snapshot(&mut kms);

    let refused = kms.describe_key(&key);
    assert_eq!(refused.as_ref().err().map(Error::code), Some("CorruptRecordException"));
    assert_err!(refused, Error::CorruptRecord);
    assert_err!(kms.encrypt(&key, b"x", &c), Error::CorruptRecord);
    assert_err!(kms.decrypt(blob.as_bytes(), &c, None), Error::CorruptRecord);
    assert_err!(kms.re_encrypt(other_blob.as_bytes(), &c, None, &key, &c), Error::CorruptRecord);
    assert_err!(kms.generate_data_key(&key, DataKeySpec::Aes256, &c), Error::CorruptRecord);
    assert_err!(kms.enable_key(&key), Error::CorruptRecord);
    assert_err!(kms.disable_key(&key), Error::CorruptRecord);
    assert_err!(kms.update_key_description(&key, "x"), Error::CorruptRecord);
    assert_err!(kms.schedule_key_deletion(&key, Some(7)), Error::CorruptRecord);
    assert_err!(kms.cancel_key_deletion(&key), Error::CorruptRecord);
    assert_err!(kms.enable_key_rotation(&key, Some(90)), Error::CorruptRecord);
    assert_err!(kms.disable_key_rotation(&key), Error::CorruptRecord);
    assert_err!(kms.get_key_rotation_status(&key), Error::CorruptRecord);
    assert_err!(kms.rotate_key_on_demand(&key), Error::CorruptRecord);
    assert_err!(kms.set_minimum_decryption_version(&key, 1), Error::CorruptRecord);
    assert_err!(kms.create_alias("alias/x", &key), Error::CorruptRecord);

    kms.clock().advance(1000 * crate::fixture::DAY);
    let report = kms.maintenance().expect("maintenance");
    assert_eq!(report.corrupt_records, 1);
    assert_eq!(report.rotated, 0);
    assert!(all_keys(&mut kms).contains(&id));
    assert_eq!(snapshot(&mut kms), before, "a corrupt record was written over");
    assert_eq!(decrypt(&mut kms, other_blob.as_bytes(), &c), b"other");
    assert_eq!(kms.describe_key(&other).expect("other key").key_state, KeyState::Enabled);
}

/// A genuine record copied under another name is refused as CorruptRecord: key A's record
/// under key B's name (B's blobs then refuse too), under a new key id, and under an alias
/// name; an alias record under another alias name. The record at its own name still works.
pub fn record_moved_under_another_name_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = text(&create(&mut kms));
    let b = text(&create(&mut kms));
    kms.create_alias("alias/a", &a).expect("alias");
    kms.create_alias("alias/b", &b).expect("alias");
    let b_blob = encrypt(&mut kms, &b, b"b's", &ctx(&[]));
    let mut buf = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = kms.store_mut().get(RecordKind::Key, &a, &mut buf).expect("get").expect("exists");
    let a_record = buf[..len].to_vec();
    let len = kms.store_mut().get(RecordKind::Alias, "alias/a", &mut buf).expect("get").expect("exists");
    let alias_record = buf[..len].to_vec();

    kms.store_mut().put(RecordKind::Key, &b, &a_record).expect("put");
    assert_err!(kms.describe_key(&b), Error::CorruptRecord);
    assert_err!(kms.decrypt(b_blob.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
    assert_err!(kms.describe_key("alias/b"), Error::CorruptRecord);

    let stranger = text(&unknown_id());
    kms.store_mut().put(RecordKind::Key, &stranger, &a_record).expect("put");
    assert_err!(kms.describe_key(&stranger), Error::CorruptRecord);

    kms.store_mut().put(RecordKind::Alias, "alias/c", &a_record).expect("put");
    assert_err!(kms.describe_key("alias/c"), Error::CorruptRecord);
    kms.store_mut().put(RecordKind::Alias, "alias/d", &alias_record).expect("put");
    assert_err!(kms.describe_key("alias/d"), Error::CorruptRecord);

    assert_eq!(kms.describe_key(&a).expect("A at its own name").key_id.to_string(), a);
    assert_eq!(kms.describe_key("alias/a").expect("alias/a at its own name").key_id.to_string(), a);
}
