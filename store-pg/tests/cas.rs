//! Every write is a compare-and-swap on the record's version: two stores (two nodes) racing on
//! one record never both win, and nothing is lost.

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

use std::sync::{Arc, Barrier};

use coffer_core::store::{KeyStore, RecordKind};
use coffer_store_pg::{Expect, PgErrorKind, PgStore};

const NAME: &str = "alias/counter";

fn read_counter(store: &mut PgStore) -> u64 {
    let mut buf = [0u8; 8];
    match store.get(RecordKind::Alias, NAME, &mut buf).unwrap() {
        Some(8) => u64::from_be_bytes(buf),
        other => panic!("counter record: {other:?}"),
    }
}

#[test]
fn a_put_after_a_concurrent_change_is_refused_and_writes_nothing() {
    let Some(pg) = common::start() else { return };
    let (mut a, mut b) = (pg.store(), pg.store());
    let mut buf = [0u8; 16];
    a.put(RecordKind::Key, "k", b"v1").unwrap();
    assert_eq!(b.get(RecordKind::Key, "k", &mut buf).unwrap(), Some(2));
    // A replaces it (A wrote it last, so its base is current); B's base is now stale.
    a.put(RecordKind::Key, "k", b"v2-from-a").unwrap();
    let e = b.put(RecordKind::Key, "k", b"v2-from-b").unwrap_err();
    assert_eq!(e.pg_kind(), PgErrorKind::Conflict, "{e}");
    assert_eq!(a.get(RecordKind::Key, "k", &mut buf).unwrap(), Some(9));
    assert_eq!(&buf[..9], b"v2-from-a");
    // Read again, and B's write goes through.
    b.get(RecordKind::Key, "k", &mut buf).unwrap();
    b.put(RecordKind::Key, "k", b"v3-from-b").unwrap();
    // A removal on a stale base is refused too, and removes nothing.
    let e = a.remove(RecordKind::Key, "k").unwrap_err();
    assert_eq!(e.pg_kind(), PgErrorKind::Conflict, "{e}");
    assert_eq!(b.get(RecordKind::Key, "k", &mut buf).unwrap(), Some(9));
    assert_eq!(&buf[..9], b"v3-from-b");
}

#[test]
fn a_record_never_read_is_not_overwritten_and_inserts_race_to_one_winner() {
    let Some(pg) = common::start() else { return };
    let (mut a, mut b) = (pg.store(), pg.store());
    let mut buf = [0u8; 16];
    a.put(RecordKind::Alias, "alias/x", b"a").unwrap();
    // B never read it: its put is an insert, refused since the record exists.
    assert_eq!(b.put(RecordKind::Alias, "alias/x", b"b").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    // Both read "absent", both insert: exactly one wins.
    assert_eq!(a.get(RecordKind::Alias, "alias/y", &mut buf).unwrap(), None);
    assert_eq!(b.get(RecordKind::Alias, "alias/y", &mut buf).unwrap(), None);
    a.put(RecordKind::Alias, "alias/y", b"a").unwrap();
    assert_eq!(b.put(RecordKind::Alias, "alias/y", b"b").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(b.get(RecordKind::Alias, "alias/y", &mut buf).unwrap(), Some(1));
    assert_eq!(buf[0], b'a');
    // A record read as absent, then made by another store: the removal is refused.
    assert_eq!(a.get(RecordKind::Alias, "alias/z", &mut buf).unwrap(), None);
    b.put(RecordKind::Alias, "alias/z", b"b").unwrap();
    assert_eq!(a.remove(RecordKind::Alias, "alias/z").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(b.get(RecordKind::Alias, "alias/z", &mut buf).unwrap(), Some(1));
}

#[test]
fn descriptions_are_compared_like_every_record() {
    let Some(pg) = common::start() else { return };
    let (mut a, mut b) = (pg.store(), pg.store());
    let mut buf = [0u8; 16];
    a.put(RecordKind::Description, "k", b"first").unwrap();
    assert_eq!(b.get(RecordKind::Description, "k", &mut buf).unwrap(), Some(5));
    a.put(RecordKind::Description, "k", b"second").unwrap();
    // B's base is stale: its write is refused and writes nothing.
    assert_eq!(b.put(RecordKind::Description, "k", b"third").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    // A store that never read it inserts, refused since it exists.
    let mut c = pg.store();
    assert_eq!(c.put(RecordKind::Description, "k", b"blind").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(a.get(RecordKind::Description, "k", &mut buf).unwrap(), Some(6));
    assert_eq!(&buf[..6], b"second");
    // Read again, B's write goes through; A's removal on its now stale base is refused.
    b.get(RecordKind::Description, "k", &mut buf).unwrap();
    b.put(RecordKind::Description, "k", b"third").unwrap();
    assert_eq!(a.remove(RecordKind::Description, "k").unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(c.get(RecordKind::Description, "k", &mut buf).unwrap(), Some(5));
    assert_eq!(&buf[..5], b"third");
}

#[test]
fn versions_are_never_reused_so_a_removed_and_remade_record_is_not_mistaken() {
    let Some(pg) = common::start() else { return };
    let mut a = pg.store();
    let mut buf = [0u8; 16];
    let v1 = a.put_if(RecordKind::Key, "k", b"one", Expect::Absent).unwrap();
    let (_, read) = a.get_versioned(RecordKind::Key, "k", &mut buf).unwrap().unwrap();
    assert_eq!(read, v1);
    a.remove_if(RecordKind::Key, "k", v1).unwrap();
    let v2 = a.put_if(RecordKind::Key, "k", b"two", Expect::Absent).unwrap();
    assert!(v2 > v1);
    // Whoever still holds v1 cannot write or remove over "two".
    assert_eq!(a.put_if(RecordKind::Key, "k", b"x", Expect::Version(v1)).unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(a.remove_if(RecordKind::Key, "k", v1).unwrap_err().pg_kind(), PgErrorKind::Conflict);
    assert_eq!(a.put_if(RecordKind::Key, "k", b"x", Expect::Absent).unwrap_err().pg_kind(), PgErrorKind::Conflict);
    let v3 = a.put_if(RecordKind::Key, "k", b"three", Expect::Version(v2)).unwrap();
    assert!(v3 > v2);
    assert_eq!(a.get_versioned(RecordKind::Key, "k", &mut buf).unwrap(), Some((5, v3)));
    // A store that forgot its reads inserts, and so cannot overwrite.
    a.forget_reads();
    assert_eq!(a.put(RecordKind::Key, "k", b"blind").unwrap_err().pg_kind(), PgErrorKind::Conflict);
}

/// Every thread reads the same version, then all write at once: exactly one wins per round,
/// and the record holds the winner's bytes.
#[test]
fn racing_writers_on_one_version_have_exactly_one_winner_per_round() {
    let Some(pg) = common::start() else { return };
    const THREADS: usize = 6;
    const ROUNDS: u64 = 40;
    pg.store().put(RecordKind::Alias, NAME, &0u64.to_be_bytes()).unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let url = pg.url();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url, common::SETTINGS).unwrap();
                let mut wins = Vec::new();
                for round in 0..ROUNDS {
                    let seen = read_counter(&mut store);
                    assert_eq!(seen, round, "every round starts from the last round's value");
                    barrier.wait();
                    // Each writer writes its own bytes: the round's value with its id on top.
                    let mine = round + 1 + ((t as u64) << 32);
                    match store.put(RecordKind::Alias, NAME, &mine.to_be_bytes()) {
                        Ok(()) => wins.push(round),
                        Err(e) => assert_eq!(e.pg_kind(), PgErrorKind::Conflict, "{e}"),
                    }
                    barrier.wait();
                    // The winner normalises the value for the next round; the others wait.
                    if wins.last() == Some(&round) {
                        let stored = read_counter(&mut store);
                        assert_eq!(stored, mine, "the record holds the winner's bytes");
                        store.put(RecordKind::Alias, NAME, &(round + 1).to_be_bytes()).unwrap();
                    }
                    barrier.wait();
                }
                wins
            })
        })
        .collect();
    let mut per_round = vec![0u32; usize::try_from(ROUNDS).unwrap()];
    for worker in workers {
        for round in worker.join().unwrap() {
            per_round[usize::try_from(round).unwrap()] += 1;
        }
    }
    assert!(per_round.iter().all(|&wins| wins == 1), "wins per round: {per_round:?}");
}

/// Many threads increment one counter by read-and-compare-and-swap, retrying on Conflict: the
/// final count is exactly the number of increments (no update lost).
#[test]
fn concurrent_increments_lose_nothing() {
    let Some(pg) = common::start() else { return };
    const THREADS: u64 = 8;
    const EACH: u64 = 60;
    pg.store().put(RecordKind::Alias, NAME, &0u64.to_be_bytes()).unwrap();
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let url = pg.url();
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url, common::SETTINGS).unwrap();
                let mut conflicts = 0u64;
                for _ in 0..EACH {
                    loop {
                        let value = read_counter(&mut store);
                        match store.put(RecordKind::Alias, NAME, &(value + 1).to_be_bytes()) {
                            Ok(()) => break,
                            Err(e) if e.pg_kind() == PgErrorKind::Conflict => conflicts += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let conflicts: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let mut store = pg.store();
    assert_eq!(read_counter(&mut store), THREADS * EACH, "{conflicts} conflicts were retried");
    // The race was real: some writes found their base changed.
    assert!(conflicts > 0, "no conflict in {} increments: the threads did not overlap", THREADS * EACH);
}
