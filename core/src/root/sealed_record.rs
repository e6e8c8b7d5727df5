//! Sealed records: a body authenticated, with its kind and name, by the root sealing key.
//!
//! Layout (integers big-endian):
//!
//! ```text
//! [4]  magic "CFR1" (format 1)
//! u8   kind (1 key, 2 alias, 3 key version, 4 description)
//! u16  name length, then the name (key id text, alias name, or `<key id>/<version>`)
//! [n]  body (a key, alias, version or description record)
//! [32] HMAC-SHA-256 under the root sealing key of everything before it
//! ```
//!
//! The kind and name are inside the MAC, so a record copied under another name (pointing an
//! alias at another key's record, or a version record at another key or version number, say)
//! is refused, as is any edited byte. What a MAC cannot
//! show is that a record was replaced by an *older* genuine copy of itself (rollback): stores
//! that must resist that need a monotonic counter kept by the HSM, which `docs/FORMAT.md` lists.

use crate::encoding::{Reader, Writer};
use crate::hsm::{ErrorKind, Hsm, HsmError, MAC_LEN, Mac};
use crate::key::KEY_ID_STR_LEN;
use crate::key::description::MAX_DESCRIPTION_BODY_LEN;
use crate::key::legacy::MAX_BODY_LEN as MAX_LEGACY_KEY_BODY_LEN;
use crate::key::record::KEY_BODY_LEN;
use crate::key::version::{VERSION_BODY_LEN, VERSION_NAME_LEN};
use crate::store::{MAX_NAME_LEN, RecordKind};

/// Magic and format of a sealed record.
pub const SEALED_MAGIC: [u8; 4] = *b"CFR1";
const HEADER_FIXED: usize = 4 + 1 + 2;

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// The longest sealed record: a format-1 key record (an 8 KiB description and 32 versions), which
/// old stores may still hold; the longest record written today is a description record.
pub const MAX_SEALED_LEN: usize =
    HEADER_FIXED + MAX_NAME_LEN + max(MAX_LEGACY_KEY_BODY_LEN, MAX_DESCRIPTION_BODY_LEN) + MAC_LEN;
/// Where a key record's body starts in its sealed record (the name is a key id's text).
pub(crate) const KEY_BODY_AT: usize = HEADER_FIXED + KEY_ID_STR_LEN;
/// Length of a sealed key record.
pub(crate) const KEY_SEALED_LEN: usize = KEY_BODY_AT + KEY_BODY_LEN + MAC_LEN;
/// Length of a sealed version record.
pub(crate) const VERSION_SEALED_LEN: usize = HEADER_FIXED + VERSION_NAME_LEN + VERSION_BODY_LEN + MAC_LEN;

/// Sealing failed.
#[derive(Debug)]
pub(crate) enum SealError<E> {
    /// The body did not fit the buffer.
    TooLarge,
    /// The HSM failed to MAC.
    Hsm(E),
}

/// Writes the sealed record for `kind`/`name` into `buf`; the body is written by `body` into the
/// slice it is given and returns its length. Returns the sealed length.
pub(crate) fn seal<H: Hsm>(
    hsm: &mut H,
    kind: RecordKind,
    name: &str,
    buf: &mut [u8],
    body: impl FnOnce(&mut [u8]) -> Option<usize>,
) -> Result<usize, SealError<H::Error>> {
    let mut w = Writer::new(buf);
    w.put(&SEALED_MAGIC).map_err(|_| SealError::TooLarge)?;
    w.u8(kind.code()).map_err(|_| SealError::TooLarge)?;
    w.u16_prefixed(name.as_bytes()).map_err(|_| SealError::TooLarge)?;
    let start = w.len();
    let body_len = body(buf.get_mut(start..).ok_or(SealError::TooLarge)?).ok_or(SealError::TooLarge)?;
    let mac_at = start.checked_add(body_len).ok_or(SealError::TooLarge)?;
    let end = mac_at.checked_add(MAC_LEN).ok_or(SealError::TooLarge)?;
    if end > buf.len() {
        return Err(SealError::TooLarge);
    }
    let (signed, rest) = buf.split_at_mut(mac_at);
    let mac = hsm.mac(signed).map_err(SealError::Hsm)?;
    rest.get_mut(..MAC_LEN).ok_or(SealError::TooLarge)?.copy_from_slice(&mac.0);
    Ok(end)
}

/// Re-computes the MAC of a sealed record whose body was changed in place (its kind and name
/// unchanged): the last [`MAC_LEN`] bytes of `sealed` become the MAC of everything before them.
pub(crate) fn reseal<H: Hsm>(hsm: &mut H, sealed: &mut [u8]) -> Result<(), SealError<H::Error>> {
    let mac_at = sealed.len().checked_sub(MAC_LEN).ok_or(SealError::TooLarge)?;
    let (signed, mac) = sealed.split_at_mut(mac_at);
    let computed = hsm.mac(signed).map_err(SealError::Hsm)?;
    mac.copy_from_slice(&computed.0);
    Ok(())
}

/// Opening failed.
#[derive(Debug)]
pub(crate) enum OpenError<E> {
    /// Not a sealed record of this kind and name, or its MAC does not verify.
    Corrupt,
    /// The HSM failed for another reason than authentication.
    Hsm(E),
}

/// Checks a sealed record read for `kind`/`name` and returns its body.
pub(crate) fn open<'a, H: Hsm>(
    hsm: &mut H,
    kind: RecordKind,
    name: &str,
    sealed: &'a [u8],
) -> Result<&'a [u8], OpenError<H::Error>> {
    let (signed, mac, body) = parse(kind, name, sealed).map_err(|()| OpenError::Corrupt)?;
    match hsm.verify_mac(signed, &Mac(mac)) {
        Ok(()) => Ok(body),
        Err(e) if e.kind() == ErrorKind::AuthenticationFailed => Err(OpenError::Corrupt),
        Err(e) => Err(OpenError::Hsm(e)),
    }
}

/// As [`open`], for bytes known to authenticate under the current root (equal to bytes that
/// did): the header is checked against `kind` and `name`, the MAC is not computed again.
pub(crate) fn open_authenticated<'a, E>(
    kind: RecordKind,
    name: &str,
    sealed: &'a [u8],
) -> Result<&'a [u8], OpenError<E>> {
    parse(kind, name, sealed).map(|(_, _, body)| body).map_err(|()| OpenError::Corrupt)
}

/// A sealed record's signed bytes, MAC and body.
type Parts<'a> = (&'a [u8], [u8; MAC_LEN], &'a [u8]);

/// Splits a sealed record into the signed bytes, the MAC and the body, checking its magic,
/// kind and name.
fn parse<'a>(kind: RecordKind, name: &str, sealed: &'a [u8]) -> Result<Parts<'a>, ()> {
    let signed_len = sealed.len().checked_sub(MAC_LEN).ok_or(())?;
    let (signed, mac) = sealed.split_at(signed_len);
    let mac: [u8; MAC_LEN] = mac.try_into().map_err(|_| ())?;
    let mut r = Reader::new(signed);
    let magic = r.array::<4>().map_err(|_| ())?;
    let stored_kind = r.u8().map_err(|_| ())?;
    let name_len = usize::from(r.u16().map_err(|_| ())?);
    let stored_name = r.take(name_len).map_err(|_| ())?;
    if magic != SEALED_MAGIC || stored_kind != kind.code() || stored_name != name.as_bytes() {
        return Err(());
    }
    let body_start = signed_len.checked_sub(r.remaining()).ok_or(())?;
    Ok((signed, mac, signed.get(body_start..).ok_or(())?))
}
