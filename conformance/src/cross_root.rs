//! Two HSMs of the same backend, each with its own root keys: neither accepts what the other
//! wrapped or sealed.

use coffer_core::hsm::{ErrorKind, HsmError};
use coffer_core::{Error, Hsm, KeyStore};

use crate::fixture::{Stores, ctx, encrypt, snapshot, text};

/// Material wrapped under one HSM's root fails to load in another with `AuthenticationFailed`
/// (and still loads in its own).
pub fn wrapped_key_from_another_root_is_refused<H: Hsm>(mut a: H, mut b: H, _stores: &Stores) {
    let wrapped = a.generate_key().expect("generate_key");
    assert_eq!(b.load_key(&wrapped).err().map(|e| e.kind()), Some(ErrorKind::AuthenticationFailed));
    let key = a.load_key(&wrapped).expect("loads at home");
    a.release_key(key).expect("release");
}

/// A MAC made under one HSM's sealing key does not verify in another (`AuthenticationFailed`),
/// and the two HSMs' MACs of the same data differ.
pub fn mac_from_another_root_is_refused<H: Hsm>(mut a: H, mut b: H, _stores: &Stores) {
    let mac = a.mac(b"record").expect("mac");
    assert_eq!(b.verify_mac(b"record", &mac).err().map(|e| e.kind()), Some(ErrorKind::AuthenticationFailed));
    let other = b.mac(b"record").expect("mac");
    assert!(!mac.ct_eq(&other), "two root sealing keys gave the same MAC");
}

/// A store written by a façade over one HSM, read by a façade over another: every key and
/// alias record is refused as `CorruptRecord` (so its blobs cannot be opened either), and
/// nothing in the store is changed by the attempts.
pub fn records_from_another_root_are_refused<H: Hsm>(a: H, b: H, stores: &Stores) {
    let mut env_a = stores.env();
    let mut kms_a = env_a.kms(a);
    let id = kms_a.create_key("home").expect("create").key_id;
    kms_a.create_alias("alias/home", &text(&id)).expect("create_alias");
    let blob = encrypt(&mut kms_a, &text(&id), b"secret", &ctx(&[]));
    let records = snapshot(&mut kms_a);
    drop(kms_a);

    let mut env_b = stores.env();
    let mut kms_b = env_b.kms(b);
    for (kind, name, bytes) in &records {
        kms_b.store_mut().put(*kind, name, bytes).expect("copy record");
    }
    assert_err!(kms_b.describe_key(&text(&id)), Error::CorruptRecord);
    assert_err!(kms_b.describe_key("alias/home"), Error::CorruptRecord);
    assert_err!(kms_b.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
    assert_err!(kms_b.encrypt(&text(&id), b"x", &ctx(&[])), Error::CorruptRecord);
    let report = kms_b.maintenance().expect("maintenance");
    assert_eq!(report.corrupt_records, 1);
    assert_eq!(snapshot(&mut kms_b), records);
}
