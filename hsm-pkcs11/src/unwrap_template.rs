//! CKA_UNWRAP_TEMPLATE for the root wrapping key: whatever the caller of C_UnwrapKey asks for,
//! a key unwrapped under the root comes out as a sensitive, non-extractable session key for
//! encrypt/decrypt only. Without it, anyone holding the user PIN could unwrap a stored key
//! version as an extractable key and read it.
//!
//! cryptoki 0.12 has no variant for array attributes, so the attribute is passed as a
//! `VendorDefined` attribute whose bytes are a `CK_ATTRIBUTE[]` laid out exactly as the C
//! header declares it (field offsets from `offset_of!`), pointing into value buffers this type
//! owns. No `unsafe` code: building the bytes takes only addresses, and the module reads them.

use crate::Pkcs11Error;
use coffer_core::hsm::ErrorKind;
use core::mem::{offset_of, size_of};
use cryptoki::object::{Attribute, AttributeType};
use cryptoki_sys::{
    CK_ATTRIBUTE, CK_ATTRIBUTE_TYPE, CK_BBOOL, CK_ULONG, CKA_CLASS, CKA_DECRYPT, CKA_DERIVE, CKA_ENCRYPT,
    CKA_EXTRACTABLE, CKA_KEY_TYPE, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN, CKA_TOKEN, CKA_UNWRAP, CKA_UNWRAP_TEMPLATE,
    CKA_VERIFY, CKA_WRAP, CKK_AES, CKO_SECRET_KEY,
};

/// The attributes every key unwrapped under the root must have (the loaded-key template of
/// `templates::loaded_version`, less its label).
const BOOLS: [(CK_ATTRIBUTE_TYPE, bool); 11] = [
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

/// Number of attributes in the template.
const LEN: usize = BOOLS.len() + 2;

/// Runs `f` with the CKA_UNWRAP_TEMPLATE attribute, whose bytes point into buffers that live
/// exactly as long as this call: pass the attribute to the PKCS#11 call inside `f`, never keep
/// it (after `f` returns its pointers dangle, and the module would read freed memory).
pub(crate) fn with_unwrap_template<T>(f: impl FnOnce(Attribute) -> T) -> Result<T, Pkcs11Error> {
    let template = UnwrapTemplate::new()?;
    Ok(f(template.attribute()))
}

/// The template's value buffers and the `CK_ATTRIBUTE[]` bytes that point into them. The
/// buffers are heap allocations that do not move while this value lives. Private: only
/// [`with_unwrap_template`] makes one, so the attribute cannot outlive it by accident.
#[derive(Debug)]
struct UnwrapTemplate {
    _values: Vec<Vec<u8>>,
    array: Vec<u8>,
}

impl UnwrapTemplate {
    fn new() -> Result<Self, Pkcs11Error> {
        let mut values: Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)> =
            vec![(CKA_CLASS, CKO_SECRET_KEY.to_ne_bytes().to_vec()), (CKA_KEY_TYPE, CKK_AES.to_ne_bytes().to_vec())];
        values.extend(BOOLS.iter().map(|&(t, v)| (t, vec![CK_BBOOL::from(v)])));
        let layout = Layout::of_ck_attribute()?;
        let mut array = vec![0u8; layout.size.checked_mul(values.len()).ok_or(layout_error())?];
        for ((kind, value), entry) in values.iter().zip(array.chunks_exact_mut(layout.size)) {
            let len = CK_ULONG::try_from(value.len()).map_err(|_| layout_error())?;
            write(entry, layout.type_, &kind.to_ne_bytes())?;
            write(entry, layout.value, &(value.as_ptr() as usize).to_ne_bytes())?;
            write(entry, layout.len, &len.to_ne_bytes())?;
        }
        Ok(Self { _values: values.into_iter().map(|(_, v)| v).collect(), array })
    }

    /// The CKA_UNWRAP_TEMPLATE attribute; its pointers are valid while `self` lives.
    fn attribute(&self) -> Attribute {
        Attribute::VendorDefined((AttributeType::VendorDefined(CKA_UNWRAP_TEMPLATE), self.array.clone()))
    }
}

/// The attribute's length on the token: `LEN` entries.
pub(crate) fn expected_len() -> Option<usize> {
    size_of::<CK_ATTRIBUTE>().checked_mul(LEN)
}

/// Where the fields of `CK_ATTRIBUTE` are on this platform.
struct Layout {
    size: usize,
    type_: usize,
    value: usize,
    len: usize,
}

impl Layout {
    fn of_ck_attribute() -> Result<Self, Pkcs11Error> {
        let layout = Self {
            size: size_of::<CK_ATTRIBUTE>(),
            type_: offset_of!(CK_ATTRIBUTE, type_),
            value: offset_of!(CK_ATTRIBUTE, pValue),
            len: offset_of!(CK_ATTRIBUTE, ulValueLen),
        };
        // A pointer is written as a usize: they must be the same size here.
        if size_of::<usize>() != size_of::<*const u8>() {
            return Err(layout_error());
        }
        Ok(layout)
    }
}

fn write(entry: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), Pkcs11Error> {
    entry.get_mut(at..at.checked_add(bytes.len()).ok_or(layout_error())?).ok_or(layout_error())?.copy_from_slice(bytes);
    Ok(())
}

const fn layout_error() -> Pkcs11Error {
    Pkcs11Error::text(ErrorKind::Unsupported, "cannot lay out CK_ATTRIBUTE on this platform")
}
