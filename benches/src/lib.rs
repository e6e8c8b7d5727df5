//! Helpers shared by Coffer's benchmarks (`benches/*.rs`, one criterion group per file): the
//! crypto providers' raw AES-256-GCM (the floors), the official `aws-esdk` peer, Coffer's
//! message path over in-memory buffers, and where the non-criterion figures are written.
#![forbid(unsafe_code)]

pub mod coffer;
pub mod counting;
#[cfg(feature = "esdk")]
pub mod esdk;
pub mod figures;
pub mod floor;

use coffer_host_rng::HostRng;
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// The frame length of every message bench: Coffer's default, which is also the SDKs'.
pub const FRAME: u32 = coffer_core::message::DEFAULT_FRAME_LENGTH;

/// The raw AES keyring's name on both sides, so that each decrypts the other's messages.
pub const NAMESPACE: &str = "coffer-bench";
/// See [`NAMESPACE`].
pub const KEY_NAME: &str = "bench-key";
/// The 256-bit wrapping key of the raw AES keyrings (a benchmark key, not a secret).
pub const WRAPPING_KEY: [u8; 32] = [0x42; 32];
/// The one encryption-context pair of every message.
pub const CONTEXT: (&str, &str) = ("purpose", "benchmark");

/// The generator the `coffer` command gives hsm-soft: [`HostRng`] (ChaCha20 with fast key
/// erasure, seeded by the OS, reseeded on fork).
pub fn rng() -> UnwrapErr<HostRng> {
    UnwrapErr(HostRng::new())
}

/// The operating system's CSPRNG, one system call per request: the `*-sysrng` rows.
pub fn sys_rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

/// `len` bytes of plaintext, fixed and not all alike (the content does not change the timing).
pub fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(0x9E37_79B9) >> 13) as u8).collect()
}

/// Sizes are named in the group ids by this label (`1KiB`, `64KiB`, `1MiB`, `16MiB`).
pub fn size_label(len: usize) -> String {
    if len >= 1 << 20 { format!("{}MiB", len >> 20) } else { format!("{}KiB", len >> 10) }
}
