//! A fast, fork-safe random generator for Coffer on hosts: [`HostRng`].
//!
//! `coffer-hsm-soft` draws a 96-bit nonce for every seal. From the OS generator
//! (`getrandom::SysRng`), that is one system call per Encrypt: about 0.7 µs on a virtual
//! machine with the usual mitigations, several times the AES-GCM it serves. [`HostRng`] makes
//! one system call per few thousand requests instead, and keeps the two properties a buffered
//! generator usually loses:
//!
//! - **Fork safety.** A child process must not repeat its parent's outputs: a repeated nonce
//!   under one AES-GCM key gives away the authentication key. The process's *fork epoch* lives
//!   in one page marked `MADV_WIPEONFORK` (Linux 4.14+), which the kernel hands to a child
//!   zeroed. Every request compares the generator's epoch with the page's, one memory read, and
//!   reseeds from the OS when they differ. Where the page cannot be made (another OS, an old
//!   kernel, `mmap` refused), every request goes to the OS, as `SysRng` does.
//! - **Fast key erasure** (D. J. Bernstein, "Fast-key-erasure random-number generators", 2017).
//!   Each request runs ChaCha20 under the current key: the first 32 bytes of keystream replace
//!   the key, the rest is the output, and nothing else is kept. Reading the state later does not
//!   give earlier outputs (data keys among them).
//!
//! It also reseeds from the OS after [`RESEED_REQUESTS`] requests or [`RESEED_BYTES`] bytes,
//! so that a state read once stops predicting outputs soon after.
//!
//! This crate holds the project's only `unsafe` outside tests: the three calls that map the
//! epoch page and read it (`fork_epoch.rs`), each with the reason it is sound.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod fork_epoch;
mod host_rng;

pub use host_rng::{HostRng, RESEED_BYTES, RESEED_REQUESTS};

/// Whether this process detects forks without a system call, so that [`HostRng`] can serve
/// requests from its own state. `false` means every request goes to the OS.
#[must_use]
pub fn detects_forks() -> bool {
    fork_epoch::page().is_some()
}
