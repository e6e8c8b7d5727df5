//! The sizes the store accepts, checked before anything is sent and again by the schema's
//! `CHECK` constraints (written from these constants).

/// The longest record name: [`coffer_core::store::MAX_NAME_LEN`] (an alias name).
pub const MAX_NAME_LEN: usize = coffer_core::store::MAX_NAME_LEN;
/// The longest record: [`coffer_core::store::MAX_RECORD_LEN`], every record Coffer writes or
/// reads.
pub const MAX_RECORD_LEN: usize = coffer_core::store::MAX_RECORD_LEN;
/// The longest access key id (the directory store's bound too).
pub const MAX_ACCESS_KEY_ID_LEN: usize = 128;
/// The longest sealed access-key record (one is about 400 bytes; the directory store's bound).
pub const MAX_ACCESS_KEY_LEN: usize = 4096;
/// The longest audit event (the directory store's longest audit line).
pub const MAX_AUDIT_EVENT_LEN: usize = 64 * 1024;
