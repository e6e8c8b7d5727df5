//! The attribute templates of every object Coffer creates.
//!
//! Token defaults are permissive (SoftHSMv2 makes a minimal AES key non-sensitive), so every
//! protection and usage attribute is spelled out: each key can do exactly one job.

use cryptoki::object::{Attribute, KeyType, ObjectClass};

/// AES-256 and HMAC key length in bytes.
const KEY_BYTES: u64 = 32;

/// What a key may be used for; everything not listed is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    /// Wrap and unwrap only: the root wrapping key.
    WrapUnwrap,
    /// Sign and verify only: the root sealing key (HMAC-SHA-256).
    SignVerify,
    /// Encrypt and decrypt only: a loaded KMS key version.
    EncryptDecrypt,
    /// Nothing at all: a freshly generated key version, which is only wrapped and destroyed.
    None,
}

/// Where an object lives and who may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// A token object that persists (the root keys).
    Token,
    /// A session object that dies with the session (loaded and generated key versions).
    Session,
}

/// The attributes every Coffer key shares, for a key of `key_type` with `usage`, labelled
/// `label`. `extractable` is true only for a generated key version, which must be wrapped once
/// and is destroyed right after.
pub(crate) fn secret_key(
    key_type: KeyType,
    usage: Usage,
    lifetime: Lifetime,
    extractable: bool,
    label: &str,
) -> Vec<Attribute> {
    let (wrap, sign, encrypt) = match usage {
        Usage::WrapUnwrap => (true, false, false),
        Usage::SignVerify => (false, true, false),
        Usage::EncryptDecrypt => (false, false, true),
        Usage::None => (false, false, false),
    };
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(key_type),
        Attribute::Token(lifetime == Lifetime::Token),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(extractable),
        Attribute::Wrap(wrap),
        Attribute::Unwrap(wrap),
        Attribute::Sign(sign),
        Attribute::Verify(sign),
        Attribute::Encrypt(encrypt),
        Attribute::Decrypt(encrypt),
        Attribute::Derive(false),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

/// A template for a key Coffer creates outright (generated, or imported with its value):
/// [`secret_key`], not modifiable, so that no session can later widen its usage.
/// (SoftHSMv2 refuses CKA_MODIFIABLE in an unwrap template as read-only, so unwrapped keys
/// lack it; they are session objects that only this process's sessions can reach.)
pub(crate) fn created(
    key_type: KeyType,
    usage: Usage,
    lifetime: Lifetime,
    extractable: bool,
    label: &str,
) -> Vec<Attribute> {
    let mut template = secret_key(key_type, usage, lifetime, extractable, label);
    template.push(Attribute::Modifiable(false));
    template
}

/// A template for key generation: [`created`] plus the length.
pub(crate) fn generate(
    key_type: KeyType,
    usage: Usage,
    lifetime: Lifetime,
    extractable: bool,
    label: &str,
) -> Vec<Attribute> {
    let mut template = created(key_type, usage, lifetime, extractable, label);
    template.push(Attribute::ValueLen(KEY_BYTES.into()));
    template
}

/// The root wrapping key: AES-256, wrap/unwrap only, a token object (or a session object, for
/// the token check), and every key it unwraps bound to the loaded-key template by
/// `unwrap_template` (from [`with_unwrap_template`](crate::unwrap_template::with_unwrap_template);
/// use the result only inside that call).
pub(crate) fn root_wrapping(label: &str, lifetime: Lifetime, unwrap_template: Attribute) -> Vec<Attribute> {
    let mut template = generate(KeyType::AES, Usage::WrapUnwrap, lifetime, false, label);
    template.push(unwrap_template);
    template
}

/// The root sealing key: a 32-byte generic secret for HMAC-SHA-256, sign/verify only, a token
/// object (SoftHSMv2 refuses HMAC with CKK_AES keys).
pub(crate) fn root_sealing(label: &str) -> Vec<Attribute> {
    generate(KeyType::GENERIC_SECRET, Usage::SignVerify, Lifetime::Token, false, label)
}

/// A new key version while it is generated and wrapped: a session object that can do nothing
/// but be wrapped once.
pub(crate) fn generated_version(label: &str) -> Vec<Attribute> {
    generate(KeyType::AES, Usage::None, Lifetime::Session, true, label)
}

/// A key version unwrapped into the token: a session object for encrypt/decrypt only, never
/// extractable, with `id` (its wrapped bytes) as CKA_ID so that a cached handle can be checked
/// to still name it. (No CKA_VALUE_LEN: the length comes from the wrapped data, and is checked
/// after the unwrap.) The root's unwrap template imposes the same attributes.
pub(crate) fn loaded_version(label: &str, id: &[u8]) -> Vec<Attribute> {
    let mut template = secret_key(KeyType::AES, Usage::EncryptDecrypt, Lifetime::Session, false, label);
    template.push(Attribute::Id(id.to_vec()));
    template
}

/// Finds a token key by class and label.
pub(crate) fn find_token_key(label: &str) -> Vec<Attribute> {
    vec![Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Token(true), Attribute::Label(label.as_bytes().to_vec())]
}
