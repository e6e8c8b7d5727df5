//! A façade over the software HSM with fixed root keys and a deterministic generator, so that
//! inputs replay to the same result. Fuzzing only: the generator is not random.

use core::convert::Infallible;

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::store::MemoryStore;
use coffer_core::{Kms, KmsConfig};
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use rand_core::{TryCryptoRng, TryRng};

/// Counts up from a seed; deterministic by design (fuzzing only).
pub struct CountingRng(pub u8);

impl TryRng for CountingRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst {
            self.0 = self.0.wrapping_add(1);
            *byte = self.0;
        }
        Ok(())
    }
}

impl TryCryptoRng for CountingRng {}

pub type FuzzKms<'a> = Kms<SoftHsm<CountingRng>, &'a mut MemoryStore<4>, &'a ManualClock, NoAudit>;

/// A façade over `store` with the fixed root keys.
pub fn kms<'a>(store: &'a mut MemoryStore<4>, clock: &'a ManualClock) -> FuzzKms<'a> {
    let root = RootKeyMaterial { wrapping: [7; 32], sealing: [9; 32] };
    let hsm = SoftHsm::with_root_keys(CountingRng(1), root);
    Kms::new(hsm, store, clock, NoAudit, KmsConfig::default()).expect("kms")
}

/// A façade holding one key (deterministic id).
#[allow(dead_code)] // not every target uses it
pub fn kms_with_key<'a>(store: &'a mut MemoryStore<4>, clock: &'a ManualClock) -> FuzzKms<'a> {
    let mut kms = kms(store, clock);
    kms.create_key("fuzz").expect("create_key");
    kms
}
