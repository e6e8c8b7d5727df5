//! The random generator of both firmwares: ChaCha20 as a DRBG (`chacha20::ChaCha20Rng`, a
//! `rand_core` 0.10 CSPRNG) — seeded, **for the demo only**, from a constant compiled into the
//! image.
//!
//! QEMU's MPS2 boards model no TRNG, so there is nothing honest to seed from there. A constant
//! seed means every boot draws the same root keys, key material and nonces: fine for showing the
//! code path and measuring it, fatal for anything real (nonce reuse across boots under the same
//! key breaks AES-GCM outright). Hence the loud names and the `demo-seed` feature that every
//! binary of this crate requires: without the feature this module does not exist.
//!
//! # On a device
//! Seed from the device's TRNG instead: read 32 bytes from its entropy source (an STM32's RNG
//! peripheral, an nRF's RNG, a secure element), check its health tests, and pass them to
//! `ChaCha20Rng::from_seed`; or implement `rand_core::TryRng` + `TryCryptoRng` over the TRNG
//! directly and hand that to `SoftHsm::new`, so that an entropy failure surfaces as Coffer's
//! `RandomFailure` instead of being worked around.

#[cfg(feature = "demo-seed")]
pub use demo::{INSECURE_DEMO_SEED, InsecureDemoRng, insecure_demo_rng};

#[cfg(feature = "demo-seed")]
mod demo {
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    /// The generator type both firmwares use. Cryptographically a CSPRNG; its *seed* is what
    /// makes it insecure here (see [`INSECURE_DEMO_SEED`]).
    pub type InsecureDemoRng = ChaCha20Rng;

    /// DEMO ONLY, NOT SECRET, NOT RANDOM: the seed every boot of the demo firmware uses. It is in
    /// the image and in this source file; anyone can recompute every key the demo makes.
    pub const INSECURE_DEMO_SEED: [u8; 32] = *b"coffer demo seed: NOT A SECRET!!";

    /// The demo's generator, seeded with [`INSECURE_DEMO_SEED`]. A device seeds from its TRNG
    /// (see the module documentation).
    #[must_use]
    pub fn insecure_demo_rng() -> InsecureDemoRng {
        ChaCha20Rng::from_seed(INSECURE_DEMO_SEED)
    }
}
