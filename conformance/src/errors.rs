//! What a client sees of a failure: [`Error::code`] names the AWS exception, and messages
//! say what to do.

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::hsm::ErrorKind;
use coffer_core::key::KeyState;
use coffer_core::store::{MAX_NAME_LEN, MemoryStoreError, RecordKind};
use coffer_core::{Error, Hsm, KeyStore, Kms, KmsConfig, LimitKind, MemoryStore};

use crate::fixture::{START, Stores, TestError, create, ctx, edit_record, encrypt, text, unknown_id};

/// The code of a refused result.
fn code<T: core::fmt::Debug, H: Hsm>(result: Result<T, TestError<H>>) -> &'static str {
    match result {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// Each refusal a client can provoke carries its AWS code: `NotFoundException`,
/// `DisabledException`, `KMSInvalidStateException`, `InvalidCiphertextException`,
/// `ValidationException`, `AlreadyExistsException`, `InvalidAliasNameException`,
/// `IncorrectKeyException`, `CorruptRecordException` (a corrupt record); and the remaining
/// variants map as documented (limits to `LimitExceededException`, a lost key handle or
/// missing root keys to `KeyUnavailableException`, a refused PIN to `AccessDeniedException`,
/// `UnsupportedOperationException`, bugs, the clock and other HSM failures to
/// `KMSInternalException`).
pub fn error_codes<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let other = text(&create(&mut kms));
    let c = ctx(&[]);
    let blob = encrypt(&mut kms, &key, b"codes", &c);
    kms.create_alias("alias/taken", &key).expect("alias");

    assert_eq!(code::<_, H>(kms.describe_key(&text(&unknown_id()))), "NotFoundException");
    assert_eq!(code::<_, H>(kms.encrypt(&key, &[], &c)), "ValidationException");
    assert_eq!(code::<_, H>(kms.decrypt(b"not a blob", &c, None)), "InvalidCiphertextException");
    assert_eq!(code::<_, H>(kms.decrypt(blob.as_bytes(), &c, Some(&other))), "IncorrectKeyException");
    assert_eq!(code::<_, H>(kms.create_alias("alias/taken", &key)), "AlreadyExistsException");
    assert_eq!(code::<_, H>(kms.create_alias("alias/aws/x", &key)), "InvalidAliasNameException");
    kms.disable_key(&key).expect("disable");
    assert_eq!(code::<_, H>(kms.encrypt(&key, b"x", &c)), "DisabledException");
    kms.enable_key(&key).expect("enable");
    kms.schedule_key_deletion(&key, None).expect("schedule");
    assert_eq!(code::<_, H>(kms.encrypt(&key, b"x", &c)), "KMSInvalidStateException");
    edit_record(kms.store_mut(), RecordKind::Key, &other, |r| r[12] ^= 0x10);
    assert_eq!(code::<_, H>(kms.describe_key(&other)), "CorruptRecordException");

    type E = Error<ErrorKind, MemoryStoreError>;
    assert_eq!(E::InvalidState(KeyState::Disabled).code(), "KMSInvalidStateException");
    assert_eq!(E::LimitExceeded(LimitKind::Versions).code(), "LimitExceededException");
    assert_eq!(E::LimitExceeded(LimitKind::StoreFull).code(), "LimitExceededException");
    assert_eq!(E::Store(MemoryStoreError::Full).code(), "LimitExceededException");
    assert_eq!(E::Store(MemoryStoreError::TooLarge).code(), "KMSInternalException");
    assert_eq!(E::Hsm(ErrorKind::KeyHandleInvalid).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::SessionClosed).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::NotLoggedIn).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::RootKeysNotFound).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::PinIncorrect).code(), "AccessDeniedException");
    assert_eq!(E::Hsm(ErrorKind::PinLocked).code(), "AccessDeniedException");
    assert_eq!(E::Hsm(ErrorKind::Unsupported).code(), "UnsupportedOperationException");
    assert_eq!(E::Hsm(ErrorKind::Device).code(), "KMSInternalException");
    assert_eq!(E::Unsupported.code(), "UnsupportedOperationException");
    assert_eq!(E::Clock.code(), "KMSInternalException");
    assert_eq!(E::CorruptRecord.code(), "CorruptRecordException");
    assert_eq!(E::InvalidMarker.code(), "InvalidMarkerException");
    assert_eq!(E::Internal.code(), "KMSInternalException");
}

/// [`Error::kind`] gives each failure a kind of its own, without the backend's detail: a bug
/// (`Internal`) is not a corrupt record, an HSM failure not a store failure, a full store a
/// limit; a refusal provoked through the façade carries its kind.
pub fn error_kinds<H: Hsm>(hsm: H, stores: &Stores) {
    use coffer_core::error::ErrorKind as Kind;
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    assert_eq!(kms.describe_key(&text(&unknown_id())).expect_err("unknown").kind(), Kind::NotFound);
    assert_eq!(kms.decrypt(b"not a blob", &ctx(&[]), None).expect_err("garbage").kind(), Kind::InvalidCiphertext);
    kms.disable_key(&key).expect("disable");
    assert_eq!(kms.encrypt(&key, b"x", &ctx(&[])).expect_err("disabled").kind(), Kind::Disabled);

    type E = Error<ErrorKind, MemoryStoreError>;
    let kinds = [
        (E::Internal, Kind::Internal),
        (E::CorruptRecord, Kind::CorruptRecord),
        (E::InvalidMarker, Kind::InvalidMarker),
        (E::Clock, Kind::Clock),
        (E::Unsupported, Kind::Unsupported),
        (E::InvalidState(KeyState::PendingDeletion), Kind::InvalidState),
        (E::LimitExceeded(LimitKind::Versions), Kind::LimitExceeded),
        (E::Store(MemoryStoreError::Full), Kind::LimitExceeded),
        (E::Store(MemoryStoreError::TooLarge), Kind::Store),
        (E::Hsm(ErrorKind::Device), Kind::Hsm),
        (E::Hsm(ErrorKind::RandomFailure), Kind::Hsm),
        (E::Hsm(ErrorKind::SessionClosed), Kind::KeyUnavailable),
        (E::Hsm(ErrorKind::RootKeysNotFound), Kind::KeyUnavailable),
        (E::Hsm(ErrorKind::PinIncorrect), Kind::AccessDenied),
        (E::Hsm(ErrorKind::Unsupported), Kind::Unsupported),
    ];
    for (error, kind) in kinds {
        assert_eq!(error.kind(), kind, "{error:?}");
        assert_eq!(error.code(), kind.code(), "{error:?}");
    }
    // A decrypt path may pass on only what is not about its input.
    for kind in [Kind::InvalidCiphertext, Kind::IncorrectKey, Kind::NotFound, Kind::Validation, Kind::InvalidMarker] {
        assert!(kind.concerns_the_input(), "{kind:?}");
    }
    for kind in [Kind::Disabled, Kind::InvalidState, Kind::KeyUnavailable, Kind::CorruptRecord, Kind::Internal] {
        assert!(!kind.concerns_the_input(), "{kind:?}");
    }
}

/// A store that breaks its contract (it claims a record longer than the buffer it was given)
/// is a bug to report, `Internal` (`KMSInternalException`), not a corrupt record to restore
/// from a backup; the same record read through an honest store is fine.
/// Runs on in-memory stores of its own whatever store the suite runs on.
pub fn a_store_breaking_its_contract_is_internal<H: Hsm>(hsm: H, _stores: &Stores) {
    /// Forwards to a memory store, but answers every key read with one byte too many.
    struct Overlong<'a>(&'a mut MemoryStore<4>);
    impl KeyStore for Overlong<'_> {
        type Error = MemoryStoreError;
        type RecordBuf = [u8; coffer_core::store::MAX_RECORD_LEN];
        fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, Self::Error> {
            let got = self.0.get(kind, name, out)?;
            Ok(got.map(|n| if kind == RecordKind::Key { out.len() + 1 } else { n }))
        }
        fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error> {
            self.0.put(kind, name, record)
        }
        fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error> {
            self.0.remove(kind, name)
        }
        fn next_name(
            &mut self,
            kind: RecordKind,
            after: Option<&str>,
            out: &mut [u8; MAX_NAME_LEN],
        ) -> Result<Option<usize>, Self::Error> {
            self.0.next_name(kind, after, out)
        }
    }

    let mut store = Box::new(MemoryStore::<4>::new());
    let clock = ManualClock::new(START);
    // The key is made through the honest store (CreateKey reads its record back).
    let mut hsm = hsm;
    let mut kms = Kms::new(&mut hsm, &mut *store, &clock, NoAudit, KmsConfig::default()).expect("Kms::new");
    let key = kms.create_key("honest record").expect("create_key").key_id.to_string();
    drop(kms);
    let mut kms = Kms::new(&mut hsm, Overlong(&mut store), &clock, NoAudit, KmsConfig::default()).expect("Kms::new");
    let refused = kms.describe_key(&key).expect_err("an over-long answer is refused");
    assert_eq!((refused.kind(), refused.code()), (coffer_core::error::ErrorKind::Internal, "KMSInternalException"));
    assert!(matches!(refused, Error::Internal), "{refused:?}");
    drop(kms);
    let mut kms = Kms::new(&mut hsm, &mut *store, &clock, NoAudit, KmsConfig::default()).expect("Kms::new");
    assert_eq!(kms.describe_key(&key).expect("the record itself is genuine").key_id.to_string(), key);
}

/// The message for a 4097-byte Encrypt names the field and the limit and points to data keys
/// (GenerateDataKey); the message for an over-long description does not mention data keys.
pub fn plaintext_limit_message_mentions_data_keys<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let message = kms.encrypt(&key, &[7; 4097], &ctx(&[])).expect_err("4097 bytes").to_string();
    assert!(message.contains("Plaintext"), "{message}");
    assert!(message.contains("4096"), "{message}");
    assert!(message.contains("GenerateDataKey"), "{message}");
    let message = kms.create_key(&"d".repeat(8193)).expect_err("8193 bytes").to_string();
    assert!(message.contains("Description") && message.contains("8192"), "{message}");
    assert!(!message.contains("GenerateDataKey"), "{message}");
}
