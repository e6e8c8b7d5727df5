//! Records through `KeyStore` on a real server: round trips of every kind, list order, the
//! limits, what was planted in the tables outside Coffer, and the schema's versioning.

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

use coffer_core::store::{KeyStore, MAX_NAME_LEN, RecordKind, StoreError as _, StoreErrorKind};
use coffer_store_pg::limits::MAX_RECORD_LEN;
use coffer_store_pg::{PgErrorKind, PgStore, SCHEMA_VERSION};

/// Every name of `kind`, through `next_name`.
fn names(store: &mut PgStore, kind: RecordKind) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_NAME_LEN];
    let mut after: Option<String> = None;
    while let Some(n) = store.next_name(kind, after.as_deref(), &mut buf).unwrap() {
        let name = String::from_utf8(buf[..n].to_vec()).unwrap();
        out.push(name.clone());
        after = Some(name);
    }
    out
}

#[test]
fn every_kind_round_trips_and_kinds_are_apart() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    let mut buf = [0u8; MAX_RECORD_LEN];
    for (i, kind) in RecordKind::ALL.into_iter().enumerate() {
        let bytes: Vec<u8> = (0..=255u8).cycle().skip(i).take(300 + i).collect();
        assert_eq!(store.get(kind, "same-name", &mut buf).unwrap(), None);
        store.put(kind, "same-name", &bytes).unwrap();
        assert_eq!(store.get(kind, "same-name", &mut buf).unwrap(), Some(bytes.len()));
        assert_eq!(&buf[..bytes.len()], bytes.as_slice());
    }
    // Each kind kept its own bytes under the same name; a second store sees them.
    let mut other = PgStore::open(&pg.url(), common::SETTINGS).unwrap();
    for (i, kind) in RecordKind::ALL.into_iter().enumerate() {
        assert_eq!(other.get(kind, "same-name", &mut buf).unwrap(), Some(300 + i));
        assert_eq!(buf[0], u8::try_from(i).unwrap());
        assert_eq!(names(&mut other, kind), ["same-name"]);
    }
    // Replace after a read, then remove.
    store.get(RecordKind::Key, "same-name", &mut buf).unwrap();
    store.put(RecordKind::Key, "same-name", b"new").unwrap();
    assert_eq!(other.get(RecordKind::Key, "same-name", &mut buf).unwrap(), Some(3));
    assert_eq!(&buf[..3], b"new");
    assert!(store.remove(RecordKind::Key, "same-name").unwrap());
    assert!(!store.remove(RecordKind::Key, "same-name").unwrap());
    assert_eq!(other.get(RecordKind::Key, "same-name", &mut buf).unwrap(), None);
    assert_eq!(names(&mut other, RecordKind::Alias), ["same-name"], "other kinds untouched");
}

#[test]
fn names_list_in_bytewise_order() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    // Bytewise: upper case before lower, '/' (0x2F) before digits, "a" before "a/x", é (0xC3..)
    // after every ASCII name: what a locale's collation would order otherwise.
    let mut want = ["b", "a/x", "a", "B", "alias/é", "alias/z", "a-b", "0", "/lead", "a b", "Z"].map(String::from);
    for name in &want {
        store.put(RecordKind::Alias, name, name.as_bytes()).unwrap();
    }
    store.put(RecordKind::Key, "between", b"k").unwrap();
    want.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    assert_eq!(names(&mut store, RecordKind::Alias), want);
    let mut buf = [0u8; MAX_NAME_LEN];
    // `after` need not be a stored name.
    let n = store.next_name(RecordKind::Alias, Some("a/"), &mut buf).unwrap().unwrap();
    assert_eq!(&buf[..n], b"a/x");
    let n = store.next_name(RecordKind::Alias, Some("alias/é"), &mut buf).unwrap().unwrap();
    assert_eq!(&buf[..n], b"b");
    assert_eq!(store.next_name(RecordKind::Alias, Some("b"), &mut buf).unwrap(), None);
    assert_eq!(names(&mut store, RecordKind::KeyVersion), Vec::<String>::new());
}

#[test]
fn limits_are_refused_with_too_large_and_nothing_is_stored() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    let mut buf = vec![0u8; MAX_RECORD_LEN + 10];
    let longest = "n".repeat(MAX_NAME_LEN);
    store.put(RecordKind::Alias, &longest, &vec![7u8; MAX_RECORD_LEN]).unwrap();
    assert_eq!(store.get(RecordKind::Alias, &longest, &mut buf).unwrap(), Some(MAX_RECORD_LEN));

    let over = store.put(RecordKind::Alias, "big", &vec![7u8; MAX_RECORD_LEN + 1]).unwrap_err();
    assert_eq!(over.pg_kind(), PgErrorKind::TooLarge);
    assert_eq!(over.kind(), StoreErrorKind::TooLarge);
    let long_name = "n".repeat(MAX_NAME_LEN + 1);
    assert_eq!(store.put(RecordKind::Alias, &long_name, b"x").unwrap_err().pg_kind(), PgErrorKind::TooLarge);
    assert_eq!(store.put(RecordKind::Alias, "", b"x").unwrap_err().pg_kind(), PgErrorKind::TooLarge);
    assert_eq!(store.put(RecordKind::Alias, "nul\0", b"x").unwrap_err().pg_kind(), PgErrorKind::Refused);
    assert_eq!(store.get(RecordKind::Alias, "big", &mut buf).unwrap(), None);
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_records"), "1");

    // A read buffer shorter than the record.
    let short = store.get(RecordKind::Alias, &longest, &mut buf[..100]).unwrap_err();
    assert_eq!(short.pg_kind(), PgErrorKind::TooLarge);
}

#[test]
fn what_is_planted_in_the_tables_is_refused_without_being_read_whole() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    // Someone with the database's keys drops the checks and plants a 64 MiB record and an
    // overlong name.
    pg.psql("ALTER TABLE coffer_records DROP CONSTRAINT coffer_records_bytes_check");
    pg.psql("ALTER TABLE coffer_records DROP CONSTRAINT coffer_records_name_check");
    pg.psql("INSERT INTO coffer_records (kind, name, bytes) VALUES (1, 'huge', decode(repeat('ab', 64 * 1024 * 1024), 'hex'))");
    pg.psql("INSERT INTO coffer_records (kind, name, bytes) VALUES (2, repeat('x', 300), '\\x00')");
    let mut buf = [0u8; MAX_RECORD_LEN];
    let e = store.get(RecordKind::Key, "huge", &mut buf).unwrap_err();
    assert_eq!(e.pg_kind(), PgErrorKind::TooLarge, "{e}");
    assert!(!e.to_string().contains("abab"), "no record bytes in messages: {e}");
    let mut name = [0u8; MAX_NAME_LEN];
    let e = store.next_name(RecordKind::Alias, None, &mut name).unwrap_err();
    assert_eq!(e.pg_kind(), PgErrorKind::Corrupt, "{e}");
}

#[test]
fn schema_is_made_once_checked_and_a_newer_one_refused() {
    let Some(pg) = common::start() else { return };
    let e = PgStore::open(&pg.url(), common::SETTINGS).unwrap_err();
    assert_eq!(e.pg_kind(), PgErrorKind::Schema, "{e}");
    let mut first = pg.store();
    first.put(RecordKind::Key, "kept", b"1").unwrap();
    // init again (another node starting) changes nothing.
    let mut second = PgStore::init(&pg.url(), common::SETTINGS).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(second.get(RecordKind::Key, "kept", &mut buf).unwrap(), Some(1));
    assert_eq!(pg.psql("SELECT version FROM coffer_schema"), SCHEMA_VERSION.to_string());
    pg.psql(&format!("UPDATE coffer_schema SET version = {}", SCHEMA_VERSION + 1));
    for e in [
        PgStore::open(&pg.url(), common::SETTINGS).unwrap_err(),
        PgStore::init(&pg.url(), common::SETTINGS).unwrap_err(),
    ] {
        assert_eq!(e.pg_kind(), PgErrorKind::Schema, "{e}");
        assert!(e.to_string().contains("newer"), "{e}");
    }
}

#[test]
fn nodes_starting_together_make_the_schema_once() {
    let Some(pg) = common::start() else { return };
    let url = pg.url();
    let nodes: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::init(&url, common::SETTINGS).map(|_| ()))
        })
        .collect();
    for node in nodes {
        node.join().unwrap().unwrap();
    }
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_schema"), "1");
}

#[test]
fn bad_urls_are_config_errors_that_hide_the_password() {
    for url in ["postgres://u:hunter2@/db", "host=/tmp port=notaport password=hunter2", "nonsense=1 password=hunter2"] {
        let e = PgStore::open(url, common::SETTINGS).unwrap_err();
        assert_eq!(e.pg_kind(), PgErrorKind::Config, "{url}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
    }
}
