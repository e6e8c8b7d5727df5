//! The conformance suite every `Hsm` backend runs (`coffer-conformance`), here over the
//! software HSM: one test per check, each with a fresh `SoftHsm` whose root keys come from the
//! operating system's generator.

// Test support: a broken HSM constructor fails the test by panicking.
#![allow(clippy::panic)]

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

coffer_conformance::suite!(fresh());
