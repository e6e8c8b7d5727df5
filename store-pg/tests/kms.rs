//! The KMS façade over `PgStore`: two nodes (two stores, two HSMs with the same root keys) on
//! one database. The conformance suite (`coffer-conformance`) is generic over the HSM but
//! fixed to a `MemoryStore`, so the façade's paths are run here over PostgreSQL instead: each
//! kind of record written, read and removed through the façade, changes on one node honoured
//! by the other at its next call, and a record edited in the database refused.

// Test helpers outside #[test] functions fail a test by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod common;

use coffer_core::clock::ManualClock;
use coffer_core::hsm::RootKeyMaterial;
use coffer_core::key::Description;
use coffer_core::{EncryptionContext, Error, KeyState, Kms, KmsConfig, NoAudit};
use coffer_hsm_soft::SoftHsm;
use coffer_store_pg::PgStore;
use getrandom::SysRng;
use rand_core::UnwrapErr;

type Node<'a> = Kms<SoftHsm<UnwrapErr<SysRng>>, &'a mut PgStore, &'a ManualClock, NoAudit>;

const WRAPPING: [u8; 32] = [0x11; 32];
const SEALING: [u8; 32] = [0x22; 32];

fn node<'a>(store: &'a mut PgStore, clock: &'a ManualClock) -> Node<'a> {
    let hsm = SoftHsm::with_root_keys(UnwrapErr(SysRng), RootKeyMaterial::new(WRAPPING, SEALING));
    Kms::new(hsm, store, clock, NoAudit, KmsConfig::default()).unwrap()
}

fn no_context() -> EncryptionContext<'static> {
    EncryptionContext::new(&[]).unwrap()
}

#[test]
fn two_nodes_share_keys_aliases_rotations_and_states() {
    let Some(pg) = common::start() else { return };
    let clock = ManualClock::new(1_700_000_000);
    let (mut store_a, mut store_b) = (pg.store(), pg.store());
    let mut a = node(&mut store_a, &clock);
    let mut b = node(&mut store_b, &clock);

    let key = a.create_key("first").unwrap().key_id.to_string();
    let blob = a.encrypt(&key, b"secret", &no_context()).unwrap().ciphertext_blob;
    assert_eq!(b.decrypt(blob.as_ref(), &no_context(), None).unwrap().plaintext.as_bytes(), b"secret");

    // An alias made on A resolves on B; B re-points it... to the same key, and deletes it.
    a.create_alias("alias/shared", &key).unwrap();
    let via_alias = b.encrypt("alias/shared", b"by alias", &no_context()).unwrap().ciphertext_blob;
    assert!(matches!(b.create_alias("alias/shared", &key), Err(Error::AlreadyExists)));
    b.update_alias("alias/shared", &key).unwrap();

    // Rotation on B: A encrypts under the new version at its next call, and still decrypts the
    // old blob.
    let (_, version) = b.rotate_key_on_demand(&key).unwrap();
    assert_eq!(version, 2);
    let newer = a.encrypt(&key, b"v2", &no_context()).unwrap();
    assert_eq!(newer.version, 2);
    assert_eq!(a.decrypt(blob.as_ref(), &no_context(), None).unwrap().plaintext.as_bytes(), b"secret");
    assert_eq!(a.decrypt(via_alias.as_ref(), &no_context(), None).unwrap().plaintext.as_bytes(), b"by alias");

    // A disable on B stops encryption on A at once: nothing is cached across calls.
    b.disable_key(&key).unwrap();
    assert!(matches!(a.encrypt(&key, b"x", &no_context()), Err(Error::Disabled)));
    // A read the key before B's change; its own change after reads it again and succeeds.
    a.enable_key(&key).unwrap();
    assert_eq!(b.describe_key(&key).unwrap().key_state, KeyState::Enabled);

    // Descriptions: A read one, B replaced it, A replaces it again (each update reads the
    // description record first, so its compare-and-swap is on the current version).
    let mut text = Box::new(Description::new());
    a.describe_key_with_description(&key, &mut text).unwrap();
    assert_eq!(text.as_str(), "first");
    b.update_key_description(&key, "from b").unwrap();
    a.update_key_description(&key, "from a").unwrap();
    b.describe_key_with_description(&key, &mut text).unwrap();
    assert_eq!(text.as_str(), "from a");

    // Keys listed on either node, in the store's order.
    let second = b.create_key("").unwrap().key_id;
    let mut out = [second; 10];
    let page = a.list_keys(None, &mut out).unwrap();
    let mut want = vec![key.clone(), second.to_string()];
    want.sort();
    assert_eq!(out[..page.count].iter().map(ToString::to_string).collect::<Vec<_>>(), want);

    b.delete_alias("alias/shared").unwrap();
    assert!(matches!(a.encrypt("alias/shared", b"x", &no_context()), Err(Error::NotFound)));
    drop((a, b));
    // Key, version (two for the first key) and description records.
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_records WHERE kind = 1"), "2");
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_records WHERE kind = 3"), "3");
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_records WHERE kind = 2"), "0");
}

#[test]
fn a_record_edited_in_the_database_is_refused() {
    let Some(pg) = common::start() else { return };
    let clock = ManualClock::new(1_700_000_000);
    let mut store = pg.store();
    let mut kms = node(&mut store, &clock);
    let key = kms.create_key("").unwrap().key_id.to_string();
    kms.disable_key(&key).unwrap();
    // Flip one bit of the key record (say, to enable the key behind the HSM's back).
    pg.psql("UPDATE coffer_records SET bytes = set_byte(bytes, 60, get_byte(bytes, 60) # 1) WHERE kind = 1");
    assert!(matches!(kms.describe_key(&key), Err(Error::CorruptRecord)));
    assert!(matches!(kms.enable_key(&key), Err(Error::CorruptRecord)));
    assert!(matches!(kms.encrypt(&key, b"x", &no_context()), Err(Error::CorruptRecord)));
}

#[test]
fn the_facade_reports_an_outage_as_a_store_error_and_recovers() {
    let Some(pg) = common::start() else { return };
    let clock = ManualClock::new(1_700_000_000);
    let mut store = pg.store();
    let mut kms = node(&mut store, &clock);
    let key = kms.create_key("").unwrap().key_id.to_string();
    pg.stop();
    let e = kms.encrypt(&key, b"x", &no_context()).unwrap_err();
    assert!(matches!(e, Error::Store(ref s) if s.pg_kind() == coffer_store_pg::PgErrorKind::Unavailable), "{e:?}");
    // What a front end branches on: a store failure to retry later, not a corrupt record.
    assert_eq!(e.kind(), coffer_core::error::ErrorKind::Store);
    assert_eq!(e.store_kind(), Some(coffer_core::store::StoreErrorKind::Unavailable));
    pg.start_again();
    let blob = kms.encrypt(&key, b"back", &no_context()).unwrap().ciphertext_blob;
    assert_eq!(kms.decrypt(blob.as_ref(), &no_context(), None).unwrap().plaintext.as_bytes(), b"back");
}
