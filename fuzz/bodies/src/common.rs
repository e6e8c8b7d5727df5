//! A façade over the software HSM with fixed root keys and a deterministic generator, so that
//! inputs replay to the same result. Fuzzing only: the generator is not random.

use core::convert::Infallible;

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::store::MemoryStore;
use coffer_core::{Kms, KmsConfig};
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use rand_core::{TryCryptoRng, TryRng};

/// The clock's reading when a body starts.
pub const START: u64 = 1_700_000_000;

/// SplitMix64 from a seed; deterministic by design (fuzzing only). Its period (2^64 outputs)
/// matters: a generator that cycles soon (the first one here counted a `u8` up, repeating every
/// 256 bytes) hands out the same key ids and GCM nonces again, which the kms_model target
/// caught as a key id collision.
#[derive(Debug)]
pub struct CountingRng(pub u64);

impl CountingRng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl TryRng for CountingRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let [a, b, c, d, ..] = self.next().to_le_bytes();
        Ok(u32::from_le_bytes([a, b, c, d]))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.next())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for CountingRng {}

/// The façade the bodies drive, over a store of `N` records.
pub type FuzzKmsN<'a, const N: usize> = Kms<SoftHsm<CountingRng>, &'a mut MemoryStore<N>, &'a ManualClock, NoAudit>;
/// The façade over the four-record store most bodies use.
pub type FuzzKms<'a> = FuzzKmsN<'a, 4>;

/// The fixed root keys.
pub fn root_keys() -> RootKeyMaterial {
    RootKeyMaterial { wrapping: [7; 32], sealing: [9; 32] }
}

/// A façade over `store` with the fixed root keys.
pub fn kms<'a, const N: usize>(store: &'a mut MemoryStore<N>, clock: &'a ManualClock) -> FuzzKmsN<'a, N> {
    let hsm = SoftHsm::with_root_keys(CountingRng(1), root_keys());
    Kms::new(hsm, store, clock, NoAudit, KmsConfig::default()).expect("kms")
}

/// A façade holding one key (deterministic id).
pub fn kms_with_key<'a, const N: usize>(store: &'a mut MemoryStore<N>, clock: &'a ManualClock) -> FuzzKmsN<'a, N> {
    let mut kms = kms(store, clock);
    kms.create_key("fuzz").expect("create_key");
    kms
}

/// The id of the only key of a façade made by [`kms_with_key`].
pub fn only_key<const N: usize>(kms: &mut FuzzKmsN<'_, N>) -> coffer_core::KeyId {
    let mut ids = [coffer_core::KeyId::from_bytes([0; 16])];
    let page = kms.list_keys(None, &mut ids).expect("list");
    assert_eq!(page.count, 1);
    ids[0]
}
