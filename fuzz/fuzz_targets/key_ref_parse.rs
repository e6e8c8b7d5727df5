//! Key id, alias name and ARN parsing.
#![no_main]

use coffer_core::key::{AliasName, ArnPrefix, KeyId, KeyRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Some(id) = KeyId::parse(text) {
        assert_eq!(id.to_string(), text.to_ascii_lowercase());
    }
    if let Ok(name) = AliasName::parse(text) {
        assert_eq!(name.as_str(), text);
    }
    let _ = KeyRef::parse(text, &ArnPrefix::default());
});
