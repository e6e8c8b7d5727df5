//! The attribute templates of every object Coffer creates.
//!
//! Token defaults are permissive (SoftHSMv2 makes a minimal AES key non-sensitive), so every
//! protection and usage attribute is spelled out: each key can do exactly one job.

use crate::root_templates::RootTemplates;
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

/// How far a token lets Coffer protect its root keys beyond the base template (each is refused
/// by some tokens; roots made by Coffer before these existed have neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootProtection {
    /// The root wrapping key carries Coffer's CKA_WRAP_TEMPLATE: it wraps only keys generated
    /// in the token and sensitive since, so no key of known value can be wrapped under it.
    pub wrap_template: bool,
    /// Both root keys have CKA_DESTROYABLE false: C_DestroyObject refuses them.
    pub non_destroyable: bool,
}

impl RootProtection {
    /// Every protection.
    pub const FULL: Self = Self { wrap_template: true, non_destroyable: true };

    /// What roots are made with, strongest first: the token may refuse an attribute it does
    /// not know.
    pub(crate) const ATTEMPTS: [Self; 4] = [
        Self::FULL,
        Self { wrap_template: true, non_destroyable: false },
        Self { wrap_template: false, non_destroyable: true },
        Self { wrap_template: false, non_destroyable: false },
    ];
}

/// The root wrapping key: AES-256, wrap/unwrap only, a token object (or a session object, for
/// the token check), every key it unwraps bound to the loaded-key template, and (as
/// `protection` says) wrapping only keys generated in the token, and not destroyable. Use the
/// result only inside the [`with_root_templates`](crate::root_templates::with_root_templates)
/// call that gave `root`.
pub(crate) fn root_wrapping(
    label: &str,
    lifetime: Lifetime,
    root: &RootTemplates,
    protection: RootProtection,
) -> Vec<Attribute> {
    let mut template = generate(KeyType::AES, Usage::WrapUnwrap, lifetime, false, label);
    template.push(root.unwrap());
    if protection.wrap_template {
        template.push(root.wrap());
    }
    if protection.non_destroyable {
        template.push(Attribute::Destroyable(false));
    }
    template
}

/// The root sealing key: a 32-byte generic secret for HMAC-SHA-256, sign/verify only, a token
/// object (SoftHSMv2 refuses HMAC with CKK_AES keys), not destroyable if `non_destroyable`.
pub(crate) fn root_sealing(label: &str, non_destroyable: bool) -> Vec<Attribute> {
    let mut template = generate(KeyType::GENERIC_SECRET, Usage::SignVerify, Lifetime::Token, false, label);
    if non_destroyable {
        template.push(Attribute::Destroyable(false));
    }
    template
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
