//! The database goes away under use: calls fail with `Unavailable` within the deadlines (no
//! panic, no hang), and the same `PgStore` works again once the database is back.

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

use std::time::{Duration, Instant};

use coffer_core::store::{KeyStore, RecordKind, StoreError as _, StoreErrorKind};
use coffer_store_pg::{PgErrorKind, PgStore};

/// The longest a call may take: a connection attempt and a call, and scheduling slack.
fn bound() -> Duration {
    common::SETTINGS.connect_timeout + common::SETTINGS.call_timeout + Duration::from_secs(2)
}

fn unavailable<T: std::fmt::Debug>(call: impl FnOnce() -> Result<T, coffer_store_pg::PgStoreError>) {
    let started = Instant::now();
    let e = call().unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.pg_kind(), PgErrorKind::Unavailable, "{e}");
    assert_eq!(e.kind(), StoreErrorKind::Unavailable);
    assert!(took < bound(), "the call took {took:?}");
}

#[test]
fn a_restarted_server_is_reconnected_without_a_new_store() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    let mut buf = [0u8; 16];
    store.put(RecordKind::Key, "k", b"before").unwrap();

    pg.stop();
    // Reads and writes fail, each within the deadlines, for as long as the server is down.
    for _ in 0..3 {
        unavailable(|| store.get(RecordKind::Key, "k", &mut buf));
        unavailable(|| store.put(RecordKind::Key, "other", b"x"));
        let mut name = [0u8; 256];
        unavailable(|| store.next_name(RecordKind::Key, None, &mut name));
    }
    pg.start_again();
    // The first call after the restart reconnects and succeeds.
    assert_eq!(store.get(RecordKind::Key, "k", &mut buf).unwrap(), Some(6));
    assert_eq!(&buf[..6], b"before");
    store.put(RecordKind::Key, "k", b"after").unwrap();
    assert_eq!(pg.psql("SELECT encode(bytes, 'escape') FROM coffer_records WHERE name = 'k'"), "after");
}

#[test]
fn a_restart_while_idle_costs_no_failed_call() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    let mut buf = [0u8; 16];
    assert_eq!(store.get(RecordKind::Key, "k", &mut buf).unwrap(), None);
    // The server restarts between two calls: the connection the store holds is dead, and the
    // store notices before using it.
    pg.stop();
    pg.start_again();
    store.put(RecordKind::Key, "k", b"written").unwrap();
    assert_eq!(store.get(RecordKind::Key, "k", &mut buf).unwrap(), Some(7));
}

#[test]
fn a_stopped_server_cannot_make_a_call_hang() {
    let Some(pg) = common::start() else { return };
    let mut store = pg.store();
    let mut buf = [0u8; 16];
    store.put(RecordKind::Key, "k", b"v").unwrap();
    // Freeze the server (postmaster and the store's backend): connections stay open, nothing
    // answers. Only a client-side deadline ends a call now.
    let backends = pg.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'coffer'");
    let mut frozen: Vec<u32> = backends.lines().map(|l| l.parse().unwrap()).collect();
    frozen.push(pg.postmaster_pid());
    for pid in &frozen {
        assert!(common::signal("STOP", *pid));
    }
    // The calls run on a thread of their own, so that a hang fails the test instead of
    // stalling it.
    let (done, outcome) = std::sync::mpsc::channel();
    let caller = std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // The connection is dropped at the deadline; the next call's connection attempt
            // waits on the frozen postmaster and ends at the connect deadline.
            unavailable(|| store.get(RecordKind::Key, "k", &mut buf));
            unavailable(|| store.get(RecordKind::Key, "k", &mut buf));
        }));
        let _ = done.send(result.is_ok());
        store
    });
    let finished = outcome.recv_timeout(2 * bound());
    for pid in &frozen {
        common::signal("CONT", *pid);
    }
    assert_eq!(finished, Ok(true), "the calls failed or hung on a frozen server");
    let mut store = caller.join().unwrap();
    assert_eq!(store.get(RecordKind::Key, "k", &mut buf).unwrap(), Some(1));
}

#[test]
fn a_server_that_is_not_there_is_unavailable_at_open() {
    let Some(pg) = common::start() else { return };
    pg.stop();
    let started = Instant::now();
    let e = PgStore::open(&pg.url(), common::SETTINGS).unwrap_err();
    assert_eq!(e.pg_kind(), PgErrorKind::Unavailable, "{e}");
    assert!(started.elapsed() < bound());
}
