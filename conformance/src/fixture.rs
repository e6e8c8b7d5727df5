//! The harness the façade checks share: a [`Kms`] over the backend under test, a fresh store
//! from the [`Stores`] the suite runs on (an in-memory store by default), a hand-set clock and
//! an audit ring, plus helpers that keep the checks short.
//!
//! The checks see every store as one type, [`TestStore`]: any [`KeyStore`], its errors carried
//! as their [`StoreErrorKind`] and message. Checks of a full store use a [`MemoryStore`] of a
//! given capacity ([`Env::memory`]) whatever the suite runs on: a database is never full.

use core::fmt::{self, Debug};

use coffer_core::audit::{AuditEvent, RingAudit};
use coffer_core::clock::{ManualClock, SECONDS_PER_DAY, Timestamp};
use coffer_core::data::Ciphertext;
use coffer_core::key::{AliasEntry, AliasName, KeyId, KeyState};
use coffer_core::store::{MAX_NAME_LEN, MAX_RECORD_LEN, RecordKind, StoreError, StoreErrorKind};
use coffer_core::{EncryptionContext, Error, Hsm, KeyStore, Kms, KmsConfig, MemoryStore};

/// The time every check starts at (2023-11-14, in seconds since the Unix epoch).
pub const START: Timestamp = 1_700_000_000;
/// One day, in seconds.
pub const DAY: u64 = SECONDS_PER_DAY;
/// Records the default in-memory store holds (key, version, description and alias records
/// together): enough for a key with a hundred versions.
pub const STORE_CAPACITY: usize = 128;
/// Audit events kept; no check makes more calls than this.
pub const AUDIT_CAPACITY: usize = 512;

/// The façade under test: it borrows the store, clock and audit ring of an [`Env`].
pub type TestKms<'a, H> = Kms<H, &'a mut TestStore, &'a ManualClock, &'a mut RingAudit<AUDIT_CAPACITY>>;

/// The error type of [`TestKms`].
pub type TestError<H> = Error<<H as Hsm>::Error, TestStoreError>;

/// A failure of the store under test: its kind and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestStoreError {
    /// The store error's kind.
    pub kind: StoreErrorKind,
    /// The store error's message.
    pub message: String,
}

impl fmt::Display for TestStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StoreError for TestStoreError {
    fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

/// The store of one [`Env`]: any [`KeyStore`], seen through one type.
pub struct TestStore(Box<dyn KeyStore<Error = TestStoreError, RecordBuf = [u8; MAX_RECORD_LEN]>>);

impl TestStore {
    /// `store`, for the checks.
    pub fn new<S: KeyStore + 'static>(store: S) -> Self {
        Self(Box::new(Erased(store)))
    }
}

impl Debug for TestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestStore")
    }
}

impl KeyStore for TestStore {
    type Error = TestStoreError;
    type RecordBuf = [u8; MAX_RECORD_LEN];

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, TestStoreError> {
        self.0.get(kind, name, out)
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), TestStoreError> {
        self.0.put(kind, name, record)
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, TestStoreError> {
        self.0.remove(kind, name)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, TestStoreError> {
        self.0.next_name(kind, after, out)
    }
}

/// A store whose errors are made [`TestStoreError`]s.
struct Erased<S>(S);

fn erase<E: StoreError>(e: E) -> TestStoreError {
    TestStoreError { kind: e.kind(), message: e.to_string() }
}

impl<S: KeyStore> KeyStore for Erased<S> {
    type Error = TestStoreError;
    type RecordBuf = [u8; MAX_RECORD_LEN];

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, TestStoreError> {
        self.0.get(kind, name, out).map_err(erase)
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), TestStoreError> {
        self.0.put(kind, name, record).map_err(erase)
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, TestStoreError> {
        self.0.remove(kind, name).map_err(erase)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, TestStoreError> {
        self.0.next_name(kind, after, out).map_err(erase)
    }
}

/// Where a suite's checks get their stores: each call of [`env`](Self::env) gives an [`Env`]
/// over a new, empty store. What makes the stores lives as long as this value (a database
/// server, say).
pub struct Stores {
    make: Box<dyn Fn() -> TestStore>,
}

impl Stores {
    /// Stores made by `make`, which must return a new, empty store each time.
    pub fn new(make: impl Fn() -> TestStore + 'static) -> Self {
        Self { make: Box::new(make) }
    }

    /// In-memory stores of [`STORE_CAPACITY`] records (the default of [`suite!`](crate::suite)).
    pub fn memory() -> Self {
        Self::new(|| TestStore::new(MemoryStore::<STORE_CAPACITY>::new()))
    }

    /// An [`Env`] over a new, empty store.
    pub fn env(&self) -> Env {
        Env::over((self.make)())
    }
}

impl Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stores")
    }
}

/// What a [`TestKms`] borrows: a store, a clock at [`START`] and an audit ring.
#[derive(Debug)]
pub struct Env {
    /// The key store.
    pub store: TestStore,
    /// The clock, starting at [`START`].
    pub clock: ManualClock,
    /// The audit ring.
    pub audit: RingAudit<AUDIT_CAPACITY>,
}

impl Env {
    /// `store` (empty), the clock at [`START`], no events.
    pub fn over(store: TestStore) -> Self {
        Self { store, clock: ManualClock::new(START), audit: RingAudit::new() }
    }

    /// An empty in-memory store of `N` records: for checks of a full store, whatever store
    /// the suite runs on.
    pub fn memory<const N: usize>() -> Self {
        Self::over(TestStore::new(MemoryStore::<N>::new()))
    }

    /// The façade over `hsm` (whose root keys exist) with the default configuration.
    pub fn kms<H: Hsm>(&mut self, hsm: H) -> TestKms<'_, H> {
        Kms::new(hsm, &mut self.store, &self.clock, &mut self.audit, KmsConfig::default())
            .expect("Kms::new over an HSM with root keys")
    }
}

/// An [`Env`] over an empty in-memory store of [`STORE_CAPACITY`] records.
pub fn env() -> Env {
    Stores::memory().env()
}

/// Changes the stored bytes of record `kind`/`name` with `edit` (read, changed, written back:
/// a compare-and-swap store writes it against the version just read). Panics if there is no
/// such record.
pub fn edit_record(store: &mut impl KeyStore, kind: RecordKind, name: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut buf = vec![0u8; MAX_RECORD_LEN];
    let len = store.get(kind, name, &mut buf).expect("get").expect("the record exists");
    buf.truncate(len);
    edit(&mut buf);
    store.put(kind, name, &buf).expect("put");
}

/// The text form of a key id, as callers pass it.
pub fn text(id: &KeyId) -> String {
    id.to_string()
}

/// The ARN of `key` under the default configuration.
pub fn key_arn(id: &KeyId) -> String {
    format!("arn:aws:kms:us-east-1:000000000000:key/{id}")
}

/// The ARN of alias `name` (with its `alias/` prefix) under the default configuration.
pub fn alias_arn(name: &str) -> String {
    format!("arn:aws:kms:us-east-1:000000000000:{name}")
}

/// An encryption context from pairs.
pub fn ctx<'a>(pairs: &[(&'a str, &'a str)]) -> EncryptionContext<'a> {
    EncryptionContext::new(pairs).expect("a valid encryption context")
}

/// Creates a key and returns its id.
pub fn create<H: Hsm>(kms: &mut TestKms<'_, H>) -> KeyId {
    kms.create_key("conformance").expect("create_key").key_id
}

/// Encrypts and checks the answer names `key`; returns the blob.
pub fn encrypt<H: Hsm>(
    kms: &mut TestKms<'_, H>,
    key: &str,
    plaintext: &[u8],
    context: &EncryptionContext<'_>,
) -> Ciphertext {
    let out = kms.encrypt(key, plaintext, context).expect("encrypt");
    assert_eq!(out.ciphertext_blob.header().expect("blob header").key_id, out.key_id);
    assert_eq!(out.ciphertext_blob.header().expect("blob header").version, out.version);
    out.ciphertext_blob
}

/// Decrypts and returns the plaintext.
pub fn decrypt<H: Hsm>(kms: &mut TestKms<'_, H>, blob: &[u8], context: &EncryptionContext<'_>) -> Vec<u8> {
    kms.decrypt(blob, context, None).expect("decrypt").plaintext.as_bytes().to_vec()
}

/// The key's state, from DescribeKey.
pub fn state<H: Hsm>(kms: &mut TestKms<'_, H>, key: &KeyId) -> KeyState {
    let meta = kms.describe_key(&text(key)).expect("describe_key");
    assert_eq!(meta.enabled, meta.key_state == KeyState::Enabled);
    meta.key_state
}

/// The key's description, from DescribeKey with its description.
pub fn description<H: Hsm>(kms: &mut TestKms<'_, H>, key: &str) -> String {
    let mut out = Box::new(coffer_core::key::Description::new());
    let meta = kms.describe_key_with_description(key, &mut out).expect("describe_key_with_description");
    assert_eq!(meta, kms.describe_key(key).expect("describe_key"), "the same metadata either way");
    out.as_str().to_owned()
}

/// The current version, from DescribeKey.
pub fn current_version<H: Hsm>(kms: &mut TestKms<'_, H>, key: &KeyId) -> u32 {
    kms.describe_key(&text(key)).expect("describe_key").current_version
}

/// Every key id, through ListKeys with the largest page.
pub fn all_keys<H: Hsm>(kms: &mut TestKms<'_, H>) -> Vec<KeyId> {
    let mut out = vec![placeholder_id(); 1000];
    let page = kms.list_keys(None, &mut out).expect("list_keys");
    assert_eq!(page.next_marker, None);
    out.truncate(page.count);
    out
}

/// Every alias, through ListAliases with the largest page.
pub fn all_aliases<H: Hsm>(kms: &mut TestKms<'_, H>) -> Vec<AliasEntry> {
    let mut out = vec![placeholder_alias(); 1000];
    let page = kms.list_aliases(None, None, &mut out).expect("list_aliases");
    assert_eq!(page.next_marker, None);
    out.truncate(page.count);
    out
}

/// A key id to fill output slices with.
pub const fn placeholder_id() -> KeyId {
    KeyId::from_bytes([0; 16])
}

/// An alias entry to fill output slices with.
pub fn placeholder_alias() -> AliasEntry {
    AliasEntry {
        name: AliasName::parse("alias/placeholder").expect("well-formed"),
        target_key_id: placeholder_id(),
        creation_date: 0,
        last_updated_date: 0,
    }
}

/// A well-formed key id that no store holds (its bytes are not from a generator).
pub fn unknown_id() -> KeyId {
    KeyId::from_random([0x5a; 16])
}

/// The whole store, record by record, as (kind, name, sealed bytes) in store order.
pub type Snapshot = Vec<(RecordKind, String, Vec<u8>)>;

/// Reads every record out of the store, to show that a refused request changed nothing.
pub fn snapshot<H: Hsm>(kms: &mut TestKms<'_, H>) -> Snapshot {
    let store = kms.store_mut();
    let mut out = Vec::new();
    let mut buf = vec![0u8; MAX_RECORD_LEN];
    for kind in RecordKind::ALL {
        let mut after: Option<String> = None;
        let mut name = [0u8; MAX_NAME_LEN];
        while let Some(len) = store.next_name(kind, after.as_deref(), &mut name).expect("next_name") {
            let n = core::str::from_utf8(&name[..len]).expect("UTF-8 name").to_owned();
            let got = store.get(kind, &n, &mut buf).expect("get").expect("listed record exists");
            out.push((kind, n.clone(), buf[..got].to_vec()));
            after = Some(n);
        }
    }
    out
}

/// The events the audit ring holds, oldest first, and checks none were dropped.
pub fn events<H: Hsm>(kms: &TestKms<'_, H>) -> Vec<AuditEvent> {
    assert_eq!(kms.audit().dropped(), 0, "the audit ring is large enough for every check");
    kms.audit().events().copied().collect()
}

/// Runs `f`, asserts it produced exactly one audit event, and returns its result and the event.
pub fn one_event<'a, H: Hsm, T>(kms: &mut TestKms<'a, H>, f: impl FnOnce(&mut TestKms<'a, H>) -> T) -> (T, AuditEvent) {
    let before = events(kms).len();
    let result = f(kms);
    let after = events(kms);
    assert_eq!(after.len(), before + 1, "exactly one audit event per call");
    (result, *after.last().expect("one event"))
}

/// The plaintext bytes `0, 1, 2, ...` of length `len`, different in every position from their
/// neighbours so that a misplaced byte shows.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).expect("< 251").wrapping_add(1)).collect()
}

/// True if `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Panics unless `result` is `Ok`, showing the error; returns the value.
pub fn ok<T, E: Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what}: expected success, got {e:?}"),
    }
}
