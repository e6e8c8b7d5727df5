//! Array attributes (CKA_UNWRAP_TEMPLATE, CKA_WRAP_TEMPLATE) as cryptoki 0.12 cannot express
//! them.
//!
//! cryptoki 0.12 has no variant for array attributes, so such an attribute is passed as a
//! `VendorDefined` attribute whose bytes are a `CK_ATTRIBUTE[]` laid out exactly as the C
//! header declares it (field offsets from `offset_of!`), pointing into value buffers this type
//! owns. No `unsafe` code: building the bytes takes only addresses, and the module reads them.
//! What the arrays hold is in `root_templates`.

use crate::Pkcs11Error;
use coffer_core::hsm::ErrorKind;
use core::mem::{offset_of, size_of};
use cryptoki::object::{Attribute, AttributeType};
use cryptoki_sys::{CK_ATTRIBUTE, CK_ATTRIBUTE_TYPE, CK_ULONG};

/// One array attribute: its value buffers and the `CK_ATTRIBUTE[]` bytes that point into them.
/// The buffers are heap allocations that do not move while this value lives; the attribute
/// from [`attribute`](Self::attribute) must not be used after this value is dropped.
#[derive(Debug)]
pub(crate) struct AttributeArray {
    kind: CK_ATTRIBUTE_TYPE,
    _values: Vec<Vec<u8>>,
    array: Vec<u8>,
}

impl AttributeArray {
    /// The array attribute `kind` holding `entries` (attribute type, value bytes).
    pub(crate) fn new(
        kind: CK_ATTRIBUTE_TYPE,
        entries: Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)>,
    ) -> Result<Self, Pkcs11Error> {
        let layout = Layout::of_ck_attribute()?;
        let mut array = vec![0u8; layout.size.checked_mul(entries.len()).ok_or(layout_error())?];
        for ((kind, value), entry) in entries.iter().zip(array.chunks_exact_mut(layout.size)) {
            let len = CK_ULONG::try_from(value.len()).map_err(|_| layout_error())?;
            write(entry, layout.type_, &kind.to_ne_bytes())?;
            write(entry, layout.value, &(value.as_ptr() as usize).to_ne_bytes())?;
            write(entry, layout.len, &len.to_ne_bytes())?;
        }
        Ok(Self { kind, _values: entries.into_iter().map(|(_, v)| v).collect(), array })
    }

    /// The attribute; its pointers are valid while `self` lives.
    pub(crate) fn attribute(&self) -> Attribute {
        Attribute::VendorDefined((AttributeType::VendorDefined(self.kind), self.array.clone()))
    }
}

/// The length on the token of an array attribute of `entries` entries.
pub(crate) fn array_len(entries: usize) -> Option<usize> {
    size_of::<CK_ATTRIBUTE>().checked_mul(entries)
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
