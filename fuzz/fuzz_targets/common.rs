//! The deterministic façade the targets use, now in `coffer_fuzz_bodies::common` (so that
//! `cargo test` can replay inputs on stable); kept here for targets that `mod common;` it.
#![allow(unused_imports)]

pub use coffer_fuzz_bodies::common::*;
