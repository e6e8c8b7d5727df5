//! Bodies of the parser targets: blob header, encryption context, key references.

use coffer_core::EncryptionContext;
use coffer_core::data::BlobHeader;
use coffer_core::key::{AliasName, ArnPrefix, KeyId, KeyRef};

/// Ciphertext blob header parsing: any bytes either parse or give `InvalidBlob`, never a panic.
pub fn blob_parse(data: &[u8]) {
    if let Ok(header) = BlobHeader::parse(data) {
        // A blob that parses names its key in its bytes 1..17 and its version in 17..21.
        assert_eq!(&data[1..17], header.key_id.as_bytes());
        assert_eq!(data[17..21], header.version.to_be_bytes());
    }
}

/// Encryption-context decoding: only canonical encodings are accepted, and they re-encode to
/// the same bytes.
pub fn context_decode(data: &[u8]) {
    if let Ok(ctx) = EncryptionContext::decode(data) {
        let mut out = [0u8; coffer_core::data::MAX_CONTEXT_ENCODED_LEN];
        let n = ctx.encode(&mut out).expect("a decoded context encodes");
        assert_eq!(&out[..n], data, "decode accepted a non-canonical encoding");
        // The pairs rebuild the same context, in any order.
        let mut pairs: Vec<(&str, &str)> = ctx.iter().collect();
        pairs.reverse();
        assert_eq!(EncryptionContext::new(&pairs).as_ref(), Ok(&ctx));
    }
}

/// Key id, alias name and ARN parsing.
pub fn key_ref_parse(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Some(id) = KeyId::parse(text) {
        assert_eq!(id.to_string(), text.to_ascii_lowercase());
    }
    if let Ok(name) = AliasName::parse(text) {
        assert_eq!(name.as_str(), text);
    }
    let prefix = ArnPrefix::default();
    if let Ok(reference) = KeyRef::parse(text, &prefix) {
        // What parses prints back as one of the forms a caller may write.
        match reference {
            KeyRef::Id(id) => {
                let arn = prefix.key_arn(&id);
                let lower = text.to_ascii_lowercase();
                assert!(lower == id.to_string() || arn.as_str().eq_ignore_ascii_case(text), "{text:?} gave {id}");
            }
            KeyRef::Alias(name) => {
                assert!(text == name.as_str() || text == prefix.alias_arn(name.as_str()).as_str(), "{text:?}");
            }
        }
    }
}
