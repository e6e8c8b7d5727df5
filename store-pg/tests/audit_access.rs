//! The audit event table (append-only, numbered, batches committed together) and the access
//! key table (made once, never replaced).

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

use coffer_store_pg::limits::{MAX_ACCESS_KEY_LEN, MAX_AUDIT_EVENT_LEN};
use coffer_store_pg::{MAX_AUDIT_BATCH, PgErrorKind};

#[test]
fn audit_events_append_in_order_and_cannot_be_changed() {
    let Some(pg) = common::start() else { return };
    let (mut a, mut b) = (pg.store(), pg.store());
    let first = a.append_audit(&[b"one", b"two", b"three"]).unwrap();
    let second = b.append_audit(&[b"four"]).unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.windows(2).all(|w| w[0] < w[1]) && first[2] < second[0], "{first:?} {second:?}");
    assert_eq!(a.append_audit(&[]).unwrap(), Vec::<i64>::new());

    let all = b.audit_events(0, 100).unwrap();
    let events: Vec<&[u8]> = all.iter().map(|e| e.event.as_slice()).collect();
    assert_eq!(events, [&b"one"[..], b"two", b"three", b"four"]);
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [first.as_slice(), second.as_slice()].concat());
    // Paging from the last one read.
    let page = b.audit_events(first[1], 1).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].event, b"three");

    // Too large or too many: refused, nothing appended.
    let long = vec![b'x'; MAX_AUDIT_EVENT_LEN + 1];
    assert_eq!(a.append_audit(&[b"ok", &long]).unwrap_err().pg_kind(), PgErrorKind::TooLarge);
    let many = vec![&b"e"[..]; MAX_AUDIT_BATCH + 1];
    assert_eq!(a.append_audit(&many).unwrap_err().pg_kind(), PgErrorKind::TooLarge);
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_audit_events"), "4");

    // The table refuses edits, removals and truncation.
    for sql in [
        "UPDATE coffer_audit_events SET event = 'x'",
        "DELETE FROM coffer_audit_events",
        "TRUNCATE coffer_audit_events",
    ] {
        let error = pg.psql_error(sql).unwrap_or_else(|| panic!("{sql} was allowed"));
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(pg.psql("SELECT count(*) FROM coffer_audit_events"), "4");
}

#[test]
fn access_keys_are_made_once_listed_read_and_revoked() {
    let Some(pg) = common::start() else { return };
    let (mut a, mut b) = (pg.store(), pg.store());
    a.put_access_key("CFAKBBBBBBBBBBBBBBBB", b"sealed-b").unwrap();
    a.put_access_key("CFAKAAAAAAAAAAAAAAAA", b"sealed-a").unwrap();
    // An id that exists is never replaced, from any node.
    assert_eq!(b.put_access_key("CFAKAAAAAAAAAAAAAAAA", b"other").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(b.get_access_key("CFAKAAAAAAAAAAAAAAAA").unwrap().as_deref(), Some(&b"sealed-a"[..]));
    assert_eq!(b.access_key_ids().unwrap(), ["CFAKAAAAAAAAAAAAAAAA", "CFAKBBBBBBBBBBBBBBBB"]);
    assert!(b.remove_access_key("CFAKAAAAAAAAAAAAAAAA").unwrap());
    assert!(!a.remove_access_key("CFAKAAAAAAAAAAAAAAAA").unwrap());
    assert_eq!(a.get_access_key("CFAKAAAAAAAAAAAAAAAA").unwrap(), None);
    assert_eq!(a.access_key_ids().unwrap(), ["CFAKBBBBBBBBBBBBBBBB"]);

    let big = vec![0u8; MAX_ACCESS_KEY_LEN + 1];
    assert_eq!(a.put_access_key("CFAKCCCCCCCCCCCCCCCC", &big).unwrap_err().pg_kind(), PgErrorKind::TooLarge);
    assert_eq!(a.put_access_key(&"C".repeat(129), b"x").unwrap_err().pg_kind(), PgErrorKind::TooLarge);
    // One planted past the bound is refused when read, without being read whole.
    pg.psql("ALTER TABLE coffer_access_keys DROP CONSTRAINT coffer_access_keys_bytes_check");
    pg.psql("INSERT INTO coffer_access_keys VALUES ('CFAKPLANTED', decode(repeat('00', 1048576), 'hex'))");
    assert_eq!(a.get_access_key("CFAKPLANTED").unwrap_err().pg_kind(), PgErrorKind::TooLarge);
}
