//! The data-key cache in front of the KMS keyring, with the software HSM: the KMS operations
//! (each one a set of HSM calls) that a run of messages makes, counted by an audit sink, drop
//! from one per message to one per cached data key, on encrypt and on decrypt.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

extern crate alloc;

use alloc::rc::Rc;
use core::cell::RefCell;

use coffer_core::audit::{AuditEvent, AuditSink, Operation, Outcome};
use coffer_core::clock::ManualClock;
use coffer_core::message::{
    AlgorithmSuite, CacheLimits, CachingCmm, Decryptor, EncryptConfig, KmsKeyring, Limits, LocalCache,
};
use coffer_core::store::MemoryStore;
use coffer_core::{EncryptionContext, Kms, KmsConfig};
use coffer_hsm_soft::SoftHsm;
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// Keeps the operation of every successful audit event.
#[derive(Clone, Default)]
struct Ops(Rc<RefCell<Vec<Operation>>>);

impl AuditSink for Ops {
    fn record(&mut self, event: &AuditEvent) {
        if event.outcome == Outcome::Success {
            self.0.borrow_mut().push(event.operation);
        }
    }
}

impl Ops {
    fn count(&self, op: Operation) -> usize {
        self.0.borrow().iter().filter(|o| **o == op).count()
    }
}

#[test]
fn a_cached_kms_keyring_calls_kms_once_per_data_key() {
    let ops = Ops::default();
    let mut store = MemoryStore::<8>::new();
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    coffer_core::hsm::Hsm::create_root_keys(&mut hsm).unwrap();
    let mut kms =
        Kms::new(hsm, &mut store, ManualClock::new(1_700_000_000), ops.clone(), KmsConfig::default()).unwrap();
    let key = kms.create_key("cached").unwrap().key_id.to_string();
    let ctx = EncryptionContext::new(&[("purpose", "cache")]).unwrap();
    let clock = ManualClock::new(0);
    let limits = CacheLimits { max_messages: 25, ..CacheLimits::new(300) };
    let config =
        EncryptConfig { suite: AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384, ..EncryptConfig::default() };
    let mut rng = UnwrapErr(SysRng);

    // 100 messages, 25 per data key: 4 GenerateDataKey calls instead of 100.
    let mut messages = Vec::new();
    {
        let mut cache: LocalCache<1, 0> = LocalCache::new();
        let keyring = KmsKeyring::new(&mut kms, &key);
        let mut cmm = CachingCmm::new(&mut cache, keyring, &clock, limits, &mut rng).unwrap();
        for i in 0..100u32 {
            let pt = i.to_be_bytes();
            let mut ws = vec![0u8; 8192];
            let mut enc = cmm.encryptor(&ctx, &config, Some(4), &mut rng, &mut ws).unwrap();
            let mut out = vec![0u8; 4096];
            let (_, mut n) = enc.update(&pt, &mut out).unwrap();
            let (w, done) = enc.finish(&mut out[n..]).unwrap();
            assert!(done);
            n += w;
            out.truncate(n);
            messages.push(out);
        }
        assert_eq!(cmm.stats().keyring_calls, 4);
    }
    assert_eq!(ops.count(Operation::GenerateDataKey), 4);

    // Decrypting them through a caching CMM: 4 KMS Decrypt calls, one per data key.
    let mut cache: LocalCache<0, 4> = LocalCache::new();
    let keyring = KmsKeyring::new(&mut kms, &key);
    let mut cmm = CachingCmm::new(&mut cache, keyring, &clock, limits, &mut rng).unwrap();
    for (i, msg) in messages.iter().enumerate() {
        let mut ws = vec![0u8; 8192];
        let mut dec = Decryptor::new(&mut cmm, ctx.clone(), Limits::default(), &mut ws);
        let mut out = [0u8; 16];
        let (_, n) = dec.update(msg, &mut out).unwrap();
        dec.finish().unwrap();
        assert_eq!(out[..n], u32::try_from(i).unwrap().to_be_bytes());
    }
    assert_eq!(cmm.stats().keyring_calls, 4);
    assert_eq!((cmm.stats().decrypt_misses, cmm.stats().decrypt_hits), (4, 96));
    drop(cmm);
    assert_eq!(ops.count(Operation::Decrypt), 4);
}
