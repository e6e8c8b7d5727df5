//! The whole conformance suite (`coffer-conformance`) with the façade on PostgreSQL: one
//! private server for this test binary (see `common::shared`), and every store a test asks for
//! is a new database on it, so each starts empty. The HSM is the software one, as in `coffer-hsm-soft`'s
//! run of the suite; the checks of a full store keep their bounded in-memory stores (a
//! database is never full).

// Test support: a broken HSM constructor fails the test by panicking.
#![allow(clippy::panic)]

mod common;

use coffer_conformance::fixture::{Stores, TestStore};
use coffer_core::hsm::Hsm;
use coffer_hsm_soft::SoftHsm;
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// A fresh software HSM with new root keys.
fn fresh() -> SoftHsm<UnwrapErr<SysRng>> {
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    if let Err(e) = hsm.create_root_keys() {
        panic!("create_root_keys on a new SoftHsm: {e}");
    }
    hsm
}

/// Each store a new database on this binary's server; `None` (the test is skipped) without
/// PostgreSQL outside CI.
fn on_postgres() -> Option<Stores> {
    let cluster = common::shared()?;
    Some(Stores::new(|| TestStore::new(cluster.database())))
}

coffer_conformance::suite!(fresh(), stores: on_postgres());
