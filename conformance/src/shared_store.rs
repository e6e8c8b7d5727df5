//! The façade on a store that several nodes share by compare-and-swap writes (as
//! `coffer-store-pg`'s): every record it replaces, it reads first; and the maintenance call
//! leaves alone the records of a CreateKey or a rotation that another node has begun and not
//! finished.
//!
//! [`CasStore`] makes any store behave as such a store does for one node, and [`Interleave`]
//! runs another node's step at the moment a check chooses.

use std::collections::HashMap;

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::kms::{MaintenanceReport, ORPHAN_GRACE};
use coffer_core::store::{MAX_NAME_LEN, MAX_RECORD_LEN, RecordKind, StoreError, StoreErrorKind};
use coffer_core::{Hsm, KeyStore, Kms, KmsConfig};

use crate::fixture::{START, Stores, ctx, description, text};
use crate::records::version_name;

/// An error of a [`CasStore`]: the inner store's, or a lost compare-and-swap.
#[derive(Debug)]
pub enum CasError<E> {
    /// The record is not what this node last saw of it (or exists, and this node never read
    /// it): nothing was written.
    Conflict,
    /// The inner store failed.
    Inner(E),
}

impl<E: core::fmt::Display> core::fmt::Display for CasError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Conflict => f.write_str("the record changed since this node read it"),
            Self::Inner(e) => e.fmt(f),
        }
    }
}

impl<E: StoreError> StoreError for CasError<E> {
    fn kind(&self) -> StoreErrorKind {
        match self {
            Self::Conflict => StoreErrorKind::Conflict,
            Self::Inner(e) => e.kind(),
        }
    }
}

/// One node's view of a shared store, with the write rules of a compare-and-swap store: a
/// record this node read (or wrote) is replaced or removed only if it is still what the node
/// saw; a record it never read is written only if there is none (an insert), and removed
/// whatever it holds. Other nodes write the inner store directly.
#[derive(Debug)]
pub struct CasStore<S> {
    inner: S,
    /// What this node last saw of each record: its bytes, or `None` for no record.
    seen: HashMap<(RecordKind, String), Option<Vec<u8>>>,
}

impl<S: KeyStore> CasStore<S> {
    /// A node that has read nothing yet.
    pub fn new(inner: S) -> Self {
        Self { inner, seen: HashMap::new() }
    }

    fn current(&mut self, kind: RecordKind, name: &str) -> Result<Option<Vec<u8>>, CasError<S::Error>> {
        let mut buf = vec![0u8; MAX_RECORD_LEN];
        let len = self.inner.get(kind, name, &mut buf).map_err(CasError::Inner)?;
        Ok(len.map(|len| buf[..len].to_vec()))
    }

    /// Whether a write of `kind`/`name` may go ahead.
    fn check(&mut self, kind: RecordKind, name: &str, removing: bool) -> Result<(), CasError<S::Error>> {
        let now = self.current(kind, name)?;
        let ok = match self.seen.get(&(kind, name.to_owned())) {
            Some(seen) => *seen == now,
            None => removing || now.is_none(),
        };
        if ok {
            Ok(())
        } else {
            self.seen.remove(&(kind, name.to_owned()));
            Err(CasError::Conflict)
        }
    }
}

impl<S: KeyStore> KeyStore for CasStore<S> {
    type Error = CasError<S::Error>;
    type RecordBuf = S::RecordBuf;

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, Self::Error> {
        let len = self.inner.get(kind, name, out).map_err(CasError::Inner)?;
        self.seen.insert((kind, name.to_owned()), len.map(|len| out[..len].to_vec()));
        Ok(len)
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error> {
        self.check(kind, name, false)?;
        self.inner.put(kind, name, record).map_err(CasError::Inner)?;
        self.seen.insert((kind, name.to_owned()), Some(record.to_vec()));
        Ok(())
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error> {
        self.check(kind, name, true)?;
        let removed = self.inner.remove(kind, name).map_err(CasError::Inner)?;
        self.seen.insert((kind, name.to_owned()), None);
        Ok(removed)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, Self::Error> {
        self.inner.next_name(kind, after, out).map_err(CasError::Inner)
    }
}

/// Another node's step, run on the shared store.
type Step<'a, S> = Box<dyn FnOnce(&mut S) + 'a>;

/// A store that runs another node's step on the inner store just before this node lists the
/// record names of one kind after one name.
pub struct Interleave<'a, S> {
    inner: S,
    at: (RecordKind, String),
    step: Option<Step<'a, S>>,
}

impl<S> core::fmt::Debug for Interleave<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Interleave").field("at", &self.at).field("pending", &self.step.is_some()).finish()
    }
}

impl<'a, S: KeyStore> Interleave<'a, S> {
    /// Runs `step` before the first `next_name(kind, Some(after))`.
    pub fn new(inner: S, kind: RecordKind, after: &str, step: impl FnOnce(&mut S) + 'a) -> Self {
        Self { inner, at: (kind, after.to_owned()), step: Some(Box::new(step)) }
    }

    /// True once the step has run.
    pub fn ran(&self) -> bool {
        self.step.is_none()
    }
}

impl<S: KeyStore> KeyStore for Interleave<'_, S> {
    type Error = S::Error;
    type RecordBuf = S::RecordBuf;

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, Self::Error> {
        self.inner.get(kind, name, out)
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error> {
        self.inner.put(kind, name, record)
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error> {
        self.inner.remove(kind, name)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, Self::Error> {
        if kind == self.at.0
            && after == Some(self.at.1.as_str())
            && let Some(step) = self.step.take()
        {
            step(&mut self.inner);
        }
        self.inner.next_name(kind, after, out)
    }
}

/// A façade on `store` as one node of several sees it.
fn node<H: Hsm, S: KeyStore>(hsm: H, store: S, clock: &ManualClock) -> Kms<H, CasStore<S>, &ManualClock, NoAudit> {
    Kms::new(hsm, CasStore::new(store), clock, NoAudit, KmsConfig::default()).expect("kms")
}

/// A record's bytes, read straight from a store.
fn raw<S: KeyStore>(store: &mut S, kind: RecordKind, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; MAX_RECORD_LEN];
    let len = store.get(kind, name, &mut buf).expect("get")?;
    Some(buf[..len].to_vec())
}

/// UpdateKeyDescription on a node that never read the description (another node wrote it at
/// CreateKey) replaces it, and so does an update to the empty description and one back: the
/// façade reads a description record before it replaces it, as it does every record, so a
/// compare-and-swap store has the version to compare against.
pub fn descriptions_are_read_before_they_are_replaced<H: Hsm>(hsm: H, stores: &Stores) {
    let mut hsm = hsm;
    let mut env = stores.env();
    let clock = ManualClock::new(START);
    let key = {
        let mut a = node(&mut hsm, &mut env.store, &clock);
        text(&a.create_key("from node a").expect("create").key_id)
    };
    for (i, new) in ["from node b", "", "from node d"].into_iter().enumerate() {
        let mut other = node(&mut hsm, &mut env.store, &clock);
        other.update_key_description(&key, new).unwrap_or_else(|e| panic!("update {i}: {e:?}"));
        drop(other);
        assert_eq!(description(&mut env.kms(&mut hsm), &key), new);
    }
}

/// The maintenance call running while another node rotates a key: the other node has written
/// the new version record and not yet its key record when the maintenance call, which read
/// the key record before, lists that version. The version is kept (it is younger than
/// `ORPHAN_GRACE`), the other node's key record write then goes through, and blobs of the new
/// version decrypt after a further rotation. Left unfinished (a crash) and older than the
/// grace period, the same record is removed.
pub fn maintenance_spares_a_rotation_in_flight<H: Hsm>(hsm: H, stores: &Stores) {
    let mut hsm = hsm;
    let mut env = stores.env();
    let clock = ManualClock::new(START);
    let (id, before, after_rotation, v2) = {
        let mut kms = Kms::new(&mut hsm, &mut env.store, &clock, NoAudit, KmsConfig::default()).expect("kms");
        let id = kms.create_key("").expect("create").key_id;
        let key = text(&id);
        let before = raw(kms.store_mut(), RecordKind::Key, &key).expect("key record");
        kms.rotate_key_on_demand(&key).expect("rotate");
        let after_rotation = raw(kms.store_mut(), RecordKind::Key, &key).expect("key record");
        let v2 = raw(kms.store_mut(), RecordKind::KeyVersion, &version_name(&id, 2)).expect("v2");
        // Back to before the rotation: the other node's rotation is replayed below.
        kms.store_mut().put(RecordKind::Key, &key, &before).expect("put");
        assert!(kms.store_mut().remove(RecordKind::KeyVersion, &version_name(&id, 2)).expect("remove"));
        (id, before, after_rotation, v2)
    };
    let key = text(&id);
    let v1_name = version_name(&id, 1);
    let v2_name = version_name(&id, 2);
    {
        // The other node's first write, just after the maintenance call read the key record
        // (current version 1) and before it lists the version after version 1.
        let store = Interleave::new(&mut env.store, RecordKind::KeyVersion, &v1_name, |s| {
            s.put(RecordKind::KeyVersion, &v2_name, &v2).expect("the other node's version record");
        });
        let mut kms = node(&mut hsm, store, &clock);
        assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
        assert!(kms.store_mut().inner.ran(), "the other node's step ran");
    }
    // The other node's second write: a compare-and-swap on the key record it read.
    assert_eq!(raw(&mut env.store, RecordKind::Key, &key), Some(before.clone()), "the key record is as it read it");
    env.store.put(RecordKind::Key, &key, &after_rotation).expect("the other node's key record");
    let mut kms = Kms::new(&mut hsm, &mut env.store, &clock, NoAudit, KmsConfig::default()).expect("kms");
    let blob = kms.encrypt(&key, b"v2", &ctx(&[])).expect("encrypt").ciphertext_blob;
    assert_eq!(blob.header().expect("header").version, 2);
    kms.rotate_key_on_demand(&key).expect("rotate to 3");
    assert_eq!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None).expect("decrypt v2").plaintext.as_bytes(), b"v2");

    // A crash instead: the key record never follows. Kept within the grace period, removed after.
    kms.store_mut().put(RecordKind::Key, &key, &before).expect("put");
    assert!(kms.store_mut().remove(RecordKind::KeyVersion, &version_name(&id, 3)).expect("remove"));
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    clock.advance(ORPHAN_GRACE);
    assert_eq!(kms.maintenance().expect("maintenance").orphans_removed, 1);
    assert_eq!(raw(kms.store_mut(), RecordKind::KeyVersion, &version_name(&id, 2)), None);
}

/// The maintenance call running while another node creates a key: version 1 and the
/// description are written, the key record not yet. Both are kept (version 1 is younger than
/// `ORPHAN_GRACE`, and a description is not removed while its key has a version record), the
/// key record then makes a whole key. Left unfinished and older than the grace period, both go.
pub fn maintenance_spares_a_create_in_flight<H: Hsm>(hsm: H, stores: &Stores) {
    let mut hsm = hsm;
    let mut env = stores.env();
    let clock = ManualClock::new(START);
    let mut kms = Kms::new(&mut hsm, &mut env.store, &clock, NoAudit, KmsConfig::default()).expect("kms");
    let id = kms.create_key("in flight").expect("create").key_id;
    let key = text(&id);
    let blob = kms.encrypt(&key, b"v1", &ctx(&[])).expect("encrypt").ciphertext_blob;
    let record = raw(kms.store_mut(), RecordKind::Key, &key).expect("key record");
    assert!(kms.store_mut().remove(RecordKind::Key, &key).expect("remove"));

    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    kms.store_mut().put(RecordKind::Key, &key, &record).expect("the other node's key record");
    let mut out = Box::new(coffer_core::key::Description::new());
    kms.describe_key_with_description(&key, &mut out).expect("describe");
    assert_eq!(out.as_str(), "in flight");
    kms.rotate_key_on_demand(&key).expect("rotate");
    assert_eq!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None).expect("decrypt v1").plaintext.as_bytes(), b"v1");

    // A crash instead: no key record ever. Kept within the grace period, removed after.
    kms.store_mut().put(RecordKind::Key, &key, &record).expect("put");
    assert!(kms.store_mut().remove(RecordKind::KeyVersion, &version_name(&id, 2)).expect("remove"));
    assert!(kms.store_mut().remove(RecordKind::Key, &key).expect("remove"));
    clock.advance(ORPHAN_GRACE - 1);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    clock.advance(1);
    assert_eq!(kms.maintenance().expect("maintenance").orphans_removed, 2);
    assert_eq!(raw(kms.store_mut(), RecordKind::KeyVersion, &version_name(&id, 1)), None);
    assert_eq!(raw(kms.store_mut(), RecordKind::Description, &key), None);
}
