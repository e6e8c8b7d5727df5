//! The conformance suite every `Hsm` backend runs (`coffer-conformance`), here through
//! SoftHSMv2: one test per check, each on a token of its own with new root keys, in parallel.

mod common;

coffer_conformance::suite!(common::fresh_hsm());
