//! What a client sees of a failure: [`Error::code`] names the AWS exception, and messages
//! say what to do.

use coffer_core::hsm::ErrorKind;
use coffer_core::key::KeyState;
use coffer_core::store::{MemoryStoreError, RecordKind};
use coffer_core::{Error, Hsm, LimitKind};

use crate::fixture::{TestError, create, ctx, encrypt, env, text, unknown_id};

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
/// `IncorrectKeyException`, `KMSInternalException` (corrupt record); and the remaining
/// variants map as documented (limits to `LimitExceededException`, a lost key handle to
/// `KeyUnavailableException`, `UnsupportedOperationException`).
pub fn error_codes<H: Hsm>(hsm: H) {
    let mut env = env();
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
    kms.store_mut().raw_mut(RecordKind::Key, &other).expect("record")[12] ^= 0x10;
    assert_eq!(code::<_, H>(kms.describe_key(&other)), "KMSInternalException");

    type E = Error<ErrorKind, MemoryStoreError>;
    assert_eq!(E::InvalidState(KeyState::Disabled).code(), "KMSInvalidStateException");
    assert_eq!(E::LimitExceeded(LimitKind::Versions).code(), "LimitExceededException");
    assert_eq!(E::LimitExceeded(LimitKind::StoreFull).code(), "LimitExceededException");
    assert_eq!(E::Store(MemoryStoreError::Full).code(), "LimitExceededException");
    assert_eq!(E::Store(MemoryStoreError::TooLarge).code(), "KMSInternalException");
    assert_eq!(E::Hsm(ErrorKind::KeyHandleInvalid).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::SessionClosed).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::NotLoggedIn).code(), "KeyUnavailableException");
    assert_eq!(E::Hsm(ErrorKind::Device).code(), "KMSInternalException");
    assert_eq!(E::Unsupported.code(), "UnsupportedOperationException");
    assert_eq!(E::Clock.code(), "KMSInternalException");
    assert_eq!(E::CorruptRecord.code(), "KMSInternalException");
}

/// The message for a 4097-byte Encrypt names the field and the limit and points to data keys
/// (GenerateDataKey); the message for an over-long description does not mention data keys.
pub fn plaintext_limit_message_mentions_data_keys<H: Hsm>(hsm: H) {
    let mut env = env();
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
