//! The array attributes of the root wrapping key.
//!
//! - CKA_UNWRAP_TEMPLATE: whatever the caller of C_UnwrapKey asks for, a key unwrapped under
//!   the root comes out as a sensitive, non-extractable session key for encrypt/decrypt only.
//!   Without it, anyone holding the user PIN could unwrap a stored key version as an
//!   extractable key and read it.
//! - CKA_WRAP_TEMPLATE: the root wraps only AES session keys generated in the token and
//!   sensitive since (CKA_LOCAL, CKA_ALWAYS_SENSITIVE), as Coffer's new key versions are.
//!   Without it, anyone holding the user PIN could create a key of known value
//!   (C_CreateObject), wrap it under the root and plant it in a key record. What this does not
//!   stop is written in docs/PKCS11.md.

use crate::Pkcs11Error;
use crate::attribute_array::{AttributeArray, array_len};
use cryptoki::object::Attribute;
use cryptoki_sys::{
    CK_ATTRIBUTE_TYPE, CK_BBOOL, CKA_ALWAYS_SENSITIVE, CKA_CLASS, CKA_DECRYPT, CKA_DERIVE, CKA_ENCRYPT,
    CKA_EXTRACTABLE, CKA_KEY_TYPE, CKA_LOCAL, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN, CKA_TOKEN, CKA_UNWRAP,
    CKA_UNWRAP_TEMPLATE, CKA_VERIFY, CKA_WRAP, CKA_WRAP_TEMPLATE, CKK_AES, CKO_SECRET_KEY,
};

/// The attributes every key unwrapped under the root must have (the loaded-key template of
/// `templates::loaded_version`, less its label).
const UNWRAP_BOOLS: [(CK_ATTRIBUTE_TYPE, bool); 11] = [
    (CKA_TOKEN, false),
    (CKA_PRIVATE, true),
    (CKA_SENSITIVE, true),
    (CKA_EXTRACTABLE, false),
    (CKA_ENCRYPT, true),
    (CKA_DECRYPT, true),
    (CKA_WRAP, false),
    (CKA_UNWRAP, false),
    (CKA_SIGN, false),
    (CKA_VERIFY, false),
    (CKA_DERIVE, false),
];

/// The attributes a key must have to be wrapped under the root: a session key generated in the
/// token and sensitive ever since.
const WRAP_BOOLS: [(CK_ATTRIBUTE_TYPE, bool); 4] =
    [(CKA_TOKEN, false), (CKA_LOCAL, true), (CKA_SENSITIVE, true), (CKA_ALWAYS_SENSITIVE, true)];

/// Both templates, as attributes whose pointers are valid while this value lives.
#[derive(Debug)]
pub(crate) struct RootTemplates {
    unwrap: AttributeArray,
    wrap: AttributeArray,
}

impl RootTemplates {
    /// CKA_UNWRAP_TEMPLATE.
    pub(crate) fn unwrap(&self) -> Attribute {
        self.unwrap.attribute()
    }

    /// CKA_WRAP_TEMPLATE.
    pub(crate) fn wrap(&self) -> Attribute {
        self.wrap.attribute()
    }
}

/// Runs `f` with the root's templates, whose bytes point into buffers that live exactly as
/// long as this call: pass the attributes to the PKCS#11 call inside `f`, never keep them (after
/// `f` returns their pointers dangle, and the module would read freed memory).
pub(crate) fn with_root_templates<T>(f: impl FnOnce(&RootTemplates) -> T) -> Result<T, Pkcs11Error> {
    let templates = RootTemplates {
        unwrap: AttributeArray::new(CKA_UNWRAP_TEMPLATE, entries(&UNWRAP_BOOLS))?,
        wrap: AttributeArray::new(CKA_WRAP_TEMPLATE, entries(&WRAP_BOOLS))?,
    };
    Ok(f(&templates))
}

/// Class and key type (AES secret key), then the booleans.
fn entries(bools: &[(CK_ATTRIBUTE_TYPE, bool)]) -> Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)> {
    let mut entries =
        vec![(CKA_CLASS, CKO_SECRET_KEY.to_ne_bytes().to_vec()), (CKA_KEY_TYPE, CKK_AES.to_ne_bytes().to_vec())];
    entries.extend(bools.iter().map(|&(t, v)| (t, vec![CK_BBOOL::from(v)])));
    entries
}

/// The length of Coffer's CKA_UNWRAP_TEMPLATE on the token.
pub(crate) fn unwrap_template_len() -> Option<usize> {
    array_len(UNWRAP_BOOLS.len() + 2)
}

/// The length of Coffer's CKA_WRAP_TEMPLATE on the token.
pub(crate) fn wrap_template_len() -> Option<usize> {
    array_len(WRAP_BOOLS.len() + 2)
}
