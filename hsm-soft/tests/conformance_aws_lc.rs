//! The conformance suite (`coffer-conformance`) over the software HSM on the aws-lc-rs crypto
//! provider: the same checks `conformance.rs` runs on the default provider.

// Test support: a broken HSM constructor fails the test by panicking.
#![allow(clippy::panic)]

use coffer_core::crypto::AwsLc;
use coffer_core::hsm::Hsm;
use coffer_hsm_soft::SoftHsm;
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// A fresh software HSM on aws-lc-rs with new root keys.
fn fresh() -> SoftHsm<UnwrapErr<SysRng>, 8, AwsLc> {
    let mut hsm: SoftHsm<_, 8, AwsLc> = SoftHsm::new(UnwrapErr(SysRng));
    if let Err(e) = hsm.create_root_keys() {
        panic!("create_root_keys on a new SoftHsm: {e}");
    }
    hsm
}

coffer_conformance::suite!(fresh());
