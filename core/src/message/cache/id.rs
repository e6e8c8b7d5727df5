//! Cache entry identifiers: the caching CMM spec's Appendix A (version 0.4.0), SHA-384 of
//! resource id, scope id, partition id and a resource suffix, separated by null bytes.
//!
//! An identifier covers everything an entry is bound to: the partition, the algorithm suite and
//! the exact encryption context (and, for decryption, the encrypted data keys). The context is
//! hashed in its canonical encoding (sorted pairs, length-prefixed), so two contexts share an
//! identifier only if they hold the same pairs.

use heapless::Vec;
use sha2::{Digest, Sha384};

use super::super::edk::EdkRef;
use super::super::materials::MAX_EDKS;
use super::super::suite::AlgorithmSuite;
use crate::data::EncryptionContext;

/// Length of a cache identifier (SHA-384).
pub(crate) const ID_LEN: usize = 48;

/// A cache identifier.
pub(crate) type CacheId = [u8; ID_LEN];

const NULL: [u8; 1] = [0x00];
/// Resource id of the caching CMM.
const RESOURCE_CACHING_CMM: u8 = 0x01;
const SCOPE_ENCRYPT: u8 = 0x01;
const SCOPE_DECRYPT: u8 = 0x02;
/// "Encryption materials, with algorithm suite": Coffer's requests always name the suite.
const WITH_ALGORITHM_SUITE: u8 = 0x01;

fn prefix(scope: u8, partition: &[u8]) -> Sha384 {
    let mut h = Sha384::new();
    h.update([RESOURCE_CACHING_CMM, 0x00, scope, 0x00]);
    h.update(partition);
    h.update(NULL);
    h
}

/// Feeds the canonical encoding of `context` (spec `structures.md`, serialization) to `h`, as
/// `EncryptionContext::encode` writes it, without a 4 KiB buffer. The empty context is empty.
fn hash_context(h: &mut Sha384, context: &EncryptionContext<'_>) {
    if context.is_empty() {
        return;
    }
    // At most MAX_CONTEXT_PAIRS pairs, and each field was checked to fit a u16 when the context
    // was built; saturate anyway rather than truncate.
    let len16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
    h.update(len16(context.len()));
    for (k, v) in context.iter() {
        h.update(len16(k.len()));
        h.update(k.as_bytes());
        h.update(len16(v.len()));
        h.update(v.as_bytes());
    }
}

/// The identifier of encryption materials for `suite` and the request's `context` (without the
/// signature's public key, which the materials add).
pub(crate) fn encryption_id(partition: &[u8], suite: AlgorithmSuite, context: &EncryptionContext<'_>) -> CacheId {
    let mut h = prefix(SCOPE_ENCRYPT, partition);
    h.update([WITH_ALGORITHM_SUITE, 0x00]);
    h.update(suite.id().to_be_bytes());
    h.update(NULL);
    hash_context(&mut h, context);
    h.finalize().into()
}

/// The serialized form of an EDK entry (`data-format/message-header.md`), as a byte iterator:
/// each field with its two-byte length.
fn serialized(edk: &EdkRef<'_>) -> impl Iterator<Item = u8> + Clone {
    let len16 = |s: &[u8]| u16::try_from(s.len()).unwrap_or(u16::MAX).to_be_bytes();
    let (a, b, c) = (len16(edk.provider_id), len16(edk.provider_info), len16(edk.ciphertext));
    a.into_iter()
        .chain(edk.provider_id.iter().copied())
        .chain(b)
        .chain(edk.provider_info.iter().copied())
        .chain(c)
        .chain(edk.ciphertext.iter().copied())
}

/// The identifier of decryption materials for a message of `suite` with these `edks` and the
/// canonical `encoded_context` of its header (which, for a signed suite, holds the public key).
pub(crate) fn decryption_id(
    partition: &[u8],
    suite: AlgorithmSuite,
    edks: &[EdkRef<'_>],
    encoded_context: &[u8],
) -> CacheId {
    let mut h = prefix(SCOPE_DECRYPT, partition);
    h.update(suite.id().to_be_bytes());
    h.update(NULL);
    // The EDKs sorted by their serialized bytes, without copying them: sort references. A
    // header holds at most MAX_EDKS; any beyond (not from a parsed header) are hashed in order.
    let mut sorted: Vec<&EdkRef<'_>, MAX_EDKS> = Vec::new();
    let mut rest: &[EdkRef<'_>] = &[];
    for (i, edk) in edks.iter().enumerate() {
        if sorted.push(edk).is_err() {
            rest = edks.get(i..).unwrap_or_default();
            break;
        }
    }
    sorted.sort_unstable_by(|a, b| serialized(a).cmp(serialized(b)));
    for edk in sorted.iter().copied().chain(rest.iter()) {
        for field in [edk.provider_id, edk.provider_info, edk.ciphertext] {
            h.update(u16::try_from(field.len()).unwrap_or(u16::MAX).to_be_bytes());
            h.update(field);
        }
    }
    h.update(NULL);
    h.update(encoded_context);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_hash_is_the_canonical_encoding() {
        let ctx = EncryptionContext::new(&[("b", "2"), ("a", "1")]).unwrap();
        let mut buf = [0u8; 64];
        let n = ctx.encode(&mut buf).unwrap();
        let mut direct = Sha384::new();
        direct.update(&buf[..n]);
        let mut streamed = Sha384::new();
        hash_context(&mut streamed, &ctx);
        assert_eq!(direct.finalize(), streamed.finalize());
    }

    #[test]
    fn encryption_id_follows_appendix_a() {
        let ctx = EncryptionContext::new(&[("a", "1")]).unwrap();
        let mut buf = [0u8; 64];
        let n = ctx.encode(&mut buf).unwrap();
        let mut expected = Sha384::new();
        expected.update([0x01, 0x00, 0x01, 0x00]);
        expected.update(b"part");
        expected.update([0x00, 0x01, 0x00, 0x04, 0x78, 0x00]);
        expected.update(&buf[..n]);
        let expected: CacheId = expected.finalize().into();
        assert_eq!(encryption_id(b"part", AlgorithmSuite::AesGcm256HkdfSha512Commit, &ctx), expected);
    }

    #[test]
    fn decryption_id_sorts_edks_and_follows_appendix_a() {
        let e1 = EdkRef { provider_id: b"p", provider_info: b"b", ciphertext: b"x" };
        let e2 = EdkRef { provider_id: b"p", provider_info: b"a", ciphertext: b"yy" };
        let suite = AlgorithmSuite::AesGcm256HkdfSha512Commit;
        let id = decryption_id(b"part", suite, &[e1, e2], b"ctx");
        assert_eq!(id, decryption_id(b"part", suite, &[e2, e1], b"ctx"));
        let mut expected = Sha384::new();
        expected.update([0x01, 0x00, 0x02, 0x00]);
        expected.update(b"part");
        expected.update([0x00, 0x04, 0x78, 0x00]);
        expected.update([0, 1, b'p', 0, 1, b'a', 0, 2, b'y', b'y']);
        expected.update([0, 1, b'p', 0, 1, b'b', 0, 1, b'x']);
        expected.update([0x00]);
        expected.update(b"ctx");
        let expected: CacheId = expected.finalize().into();
        assert_eq!(id, expected);
        assert_ne!(id, decryption_id(b"other", suite, &[e1, e2], b"ctx"));
        assert_ne!(id, decryption_id(b"part", suite, &[e1], b"ctx"));
        assert_ne!(id, decryption_id(b"part", suite, &[e1, e2], b"ctx2"));
    }
}
