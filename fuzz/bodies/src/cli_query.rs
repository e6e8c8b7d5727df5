//! The coffer command's `--query` (`cli/src/output/`): any expression is compiled, searched
//! over a Coffer answer and printed in both formats without panicking, overflowing the stack
//! or printing a secret's stand-in; JSON output parses back.
//!
//! Input: one byte of options (bit 0: text output; bit 1: the answer holds a secret), then the
//! expression as UTF-8.

use zeroize::Zeroizing;

#[path = "../../../cli/src/output.rs"]
#[allow(dead_code)]
mod output;

use output::{Format, Obj, Query, Val, render};

/// The secret's stand-in inside the engine (`query::STAND_IN`).
const STAND_IN: &str = "(secret)";

/// An answer shaped like the command's: lists of objects that differ in their fields, a nested
/// object with a list of strings, numbers, booleans, a hostile description; and, if `secret`,
/// a plaintext and an empty one.
fn answer(secret: bool) -> Obj {
    let meta = Obj::new()
        .str("KeyId", "1234abcd-12ab-34cd-56ef-1234567890ab")
        .str("Description", "a\nb\t\u{1b}[2J")
        .num("CofferCurrentKeyVersion", 2)
        .with("Enabled", Val::Bool(true))
        .with("EncryptionAlgorithms", Val::StrList(vec!["SYMMETRIC_DEFAULT".into()]));
    let aliases = vec![
        Obj::new().str("AliasName", "alias/ExampleAlias").str("TargetKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        Obj::new().str("AliasName", "alias/aws/s3"),
        Obj::new(),
    ];
    let mut doc = Obj::new()
        .with("KeyMetadata", Val::Obj(meta))
        .with("Aliases", Val::List(aliases))
        .with("Truncated", Val::Bool(false));
    if secret {
        doc = doc
            .with("Plaintext", Val::Secret(Zeroizing::new("c2VjcmV0".into())))
            .with("Empty", Val::Secret(Zeroizing::new(String::new())));
    }
    doc
}

/// The body.
pub fn run(data: &[u8]) {
    let Some((&options, rest)) = data.split_first() else { return };
    let Ok(text) = core::str::from_utf8(rest) else { return };
    let Ok(query) = Query::parse(text) else { return };
    let format = if options & 1 == 0 { Format::Json } else { Format::Text };
    let doc = answer(options & 2 != 0);
    let Ok(out) = render(&doc, format, Some(&query)) else { return };
    assert!(!out.contains(STAND_IN) || text.contains(STAND_IN), "the stand-in printed for {text:?}: {}", out.as_str());
    if format == Format::Json && !out.is_empty() {
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "not JSON for {text:?}: {}", out.as_str());
    }
}
