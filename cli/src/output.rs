//! What a command prints: a small ordered document, rendered as JSON (the AWS CLI's
//! `--output json`) or text (`--output text`, the AWS CLI's tab-separated layout).
//!
//! Secret values (plaintexts, data keys) are [`Val::Secret`]: they are written only into a
//! zeroizing buffer, never into an intermediate `String` that outlives the output.

use core::fmt::{self, Write};

use zeroize::Zeroizing;

use crate::error::{Class, CliError};

/// A value.
#[derive(Debug)]
pub(crate) enum Val {
    Str(String),
    /// A secret in base64 (no JSON escaping is needed for base64).
    Secret(Zeroizing<String>),
    Num(u64),
    Bool(bool),
    StrList(Vec<String>),
    List(Vec<Obj>),
    Obj(Obj),
}

/// An object: fields in the order they print in JSON.
#[derive(Debug, Default)]
pub(crate) struct Obj(pub(crate) Vec<(&'static str, Val)>);

impl Obj {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn with(mut self, name: &'static str, val: Val) -> Self {
        self.0.push((name, val));
        self
    }

    pub(crate) fn str(self, name: &'static str, s: impl Into<String>) -> Self {
        self.with(name, Val::Str(s.into()))
    }

    pub(crate) fn num(self, name: &'static str, n: u64) -> Self {
        self.with(name, Val::Num(n))
    }

    pub(crate) fn opt_str(self, name: &'static str, s: Option<String>) -> Self {
        match s {
            Some(s) => self.str(name, s),
            None => self,
        }
    }
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Json,
    Text,
}

/// Renders `doc` (with `--query FIELD` applied) into a zeroizing buffer; empty for an empty
/// document.
///
/// The buffer is allocated once at its exact size (`crate::exact`), so that a secret is not
/// copied by the string growing (each reallocation would leave an unwiped copy behind). The
/// caller writes it to stdout in one `write_all` of text ending in a newline, which std's
/// line-buffered stdout passes straight through without keeping a copy in its own buffer.
///
/// # Errors
/// KMSInternalException if the text cannot be formatted (not expected).
pub(crate) fn render(doc: &Obj, format: Format, query: Option<&str>) -> Result<Zeroizing<String>, CliError> {
    crate::exact::render(|out| render_into(out, doc, format, query))
        .map_err(|_| CliError::new(Class::Internal, "the answer could not be formatted"))
}

fn render_into(out: &mut dyn Write, doc: &Obj, format: Format, query: Option<&str>) -> fmt::Result {
    match query {
        Some(field) => {
            let val = lookup(doc, field);
            let ends_with_newline = match (format, val) {
                (Format::Json, Some(v)) => json_val(out, v, 0).map(|()| false)?,
                (Format::Json, None) => out.write_str("null").map(|()| false)?,
                (Format::Text, Some(Val::Obj(o))) => text_obj(out, None, o)?,
                (Format::Text, Some(Val::List(items))) => {
                    let mut ends = false;
                    for item in items {
                        ends |= text_obj(out, None, item)?;
                    }
                    ends
                }
                (Format::Text, Some(v)) => text_scalar(out, v).map(|()| false)?,
                (Format::Text, None) => out.write_str("None").map(|()| false)?,
            };
            if !ends_with_newline {
                out.write_char('\n')?;
            }
            Ok(())
        }
        None if doc.0.is_empty() => Ok(()),
        None => match format {
            Format::Json => {
                json_obj(out, doc, 0)?;
                out.write_char('\n')
            }
            Format::Text => text_obj(out, None, doc).map(|_| ()),
        },
    }
}

/// The value at a dotted path of field names (`KeyMetadata.KeyId`).
fn lookup<'a>(doc: &'a Obj, path: &str) -> Option<&'a Val> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut val = doc.0.iter().find(|(name, _)| *name == first).map(|(_, v)| v)?;
    for part in parts {
        let Val::Obj(obj) = val else { return None };
        val = obj.0.iter().find(|(name, _)| *name == part).map(|(_, v)| v)?;
    }
    Some(val)
}

fn indent(out: &mut dyn Write, level: usize) -> fmt::Result {
    for _ in 0..level {
        out.write_str("    ")?;
    }
    Ok(())
}

/// A JSON string (public text: the escaping copy is not zeroized).
pub(crate) fn json_str(out: &mut dyn Write, s: &str) -> fmt::Result {
    match serde_json::to_string(s) {
        Ok(quoted) => out.write_str(&quoted),
        Err(_) => out.write_str("null"),
    }
}

fn json_obj(out: &mut dyn Write, obj: &Obj, level: usize) -> fmt::Result {
    if obj.0.is_empty() {
        return out.write_str("{}");
    }
    out.write_str("{\n")?;
    for (i, (name, val)) in obj.0.iter().enumerate() {
        indent(out, level + 1)?;
        json_str(out, name)?;
        out.write_str(": ")?;
        json_val(out, val, level + 1)?;
        if i + 1 < obj.0.len() {
            out.write_char(',')?;
        }
        out.write_char('\n')?;
    }
    indent(out, level)?;
    out.write_char('}')
}

fn json_val(out: &mut dyn Write, val: &Val, level: usize) -> fmt::Result {
    match val {
        Val::Str(s) => json_str(out, s),
        Val::Secret(s) => {
            // Base64: nothing to escape.
            out.write_char('"')?;
            out.write_str(s)?;
            out.write_char('"')
        }
        Val::Num(n) => write!(out, "{n}"),
        Val::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
        Val::StrList(items) => {
            if items.is_empty() {
                return out.write_str("[]");
            }
            out.write_str("[\n")?;
            for (i, s) in items.iter().enumerate() {
                indent(out, level + 1)?;
                json_str(out, s)?;
                if i + 1 < items.len() {
                    out.write_char(',')?;
                }
                out.write_char('\n')?;
            }
            indent(out, level)?;
            out.write_char(']')
        }
        Val::List(items) => {
            if items.is_empty() {
                return out.write_str("[]");
            }
            out.write_str("[\n")?;
            for (i, o) in items.iter().enumerate() {
                indent(out, level + 1)?;
                json_obj(out, o, level + 1)?;
                if i + 1 < items.len() {
                    out.write_char(',')?;
                }
                out.write_char('\n')?;
            }
            indent(out, level)?;
            out.write_char(']')
        }
        Val::Obj(o) => json_obj(out, o, level),
    }
}

/// Text output with control characters escaped (`\n`, `\t`, `\u{1b}`): a description cannot
/// break the line layout or send escape sequences to a terminal.
fn push_escaped(out: &mut dyn Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        if c.is_control() {
            write!(out, "{}", c.escape_default())?;
        } else {
            out.write_char(c)?;
        }
    }
    Ok(())
}

fn text_scalar(out: &mut dyn Write, val: &Val) -> fmt::Result {
    match val {
        Val::Str(s) => push_escaped(out, s),
        Val::Secret(s) => out.write_str(s),
        Val::Num(n) => write!(out, "{n}"),
        Val::Bool(b) => out.write_str(if *b { "True" } else { "False" }),
        Val::StrList(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_char('\t')?;
                }
                push_escaped(out, item)?;
            }
            Ok(())
        }
        Val::List(_) | Val::Obj(_) => Ok(()),
    }
}

/// The AWS CLI's text layout: an object's scalar fields, sorted by name, on one line (prefixed
/// by the upper-cased name of the field holding it), then its nested objects and lists.
/// Whether it wrote anything ending in a newline.
fn text_obj(out: &mut dyn Write, label: Option<&str>, obj: &Obj) -> Result<bool, fmt::Error> {
    let mut wrote_line = false;
    let mut scalars: Vec<&(&'static str, Val)> =
        obj.0.iter().filter(|(_, v)| !matches!(v, Val::List(_) | Val::Obj(_))).collect();
    scalars.sort_by_key(|(name, _)| *name);
    if !scalars.is_empty() {
        let mut first = true;
        if let Some(label) = label {
            out.write_str(&label.to_uppercase())?;
            first = false;
        }
        for (_, val) in scalars {
            if !first {
                out.write_char('\t')?;
            }
            first = false;
            text_scalar(out, val)?;
        }
        out.write_char('\n')?;
        wrote_line = true;
    }
    for (name, val) in &obj.0 {
        match val {
            Val::Obj(o) => wrote_line |= text_obj(out, Some(name), o)?,
            Val::List(items) => {
                for item in items {
                    wrote_line |= text_obj(out, Some(name), item)?;
                }
            }
            _ => {}
        }
    }
    Ok(wrote_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(doc: &Obj, format: Format, query: Option<&str>) -> Zeroizing<String> {
        render(doc, format, query).unwrap()
    }

    fn doc() -> Obj {
        Obj::new()
            .str("KeyId", "k\"1")
            .with("Plaintext", Val::Secret(Zeroizing::new("AAEC".into())))
            .with("Truncated", Val::Bool(false))
            .with("Keys", Val::List(vec![Obj::new().str("KeyId", "a").num("N", 1)]))
    }

    #[test]
    fn json_parses_back_with_the_same_fields() {
        let text = r(&doc(), Format::Json, None);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["KeyId"], "k\"1");
        assert_eq!(v["Plaintext"], "AAEC");
        assert_eq!(v["Truncated"], false);
        assert_eq!(v["Keys"][0]["N"], 1);
    }

    #[test]
    fn text_and_query() {
        assert_eq!(r(&doc(), Format::Text, None).as_str(), "k\"1\tAAEC\tFalse\nKEYS\ta\t1\n");
        assert_eq!(r(&doc(), Format::Text, Some("Plaintext")).as_str(), "AAEC\n");
        assert_eq!(r(&doc(), Format::Json, Some("Plaintext")).as_str(), "\"AAEC\"\n");
        assert_eq!(r(&doc(), Format::Json, Some("Nope")).as_str(), "null\n");
        assert_eq!(r(&Obj::new(), Format::Json, None).as_str(), "");
        let nested = Obj::new().with("KeyMetadata", Val::Obj(Obj::new().str("KeyId", "k")));
        assert_eq!(r(&nested, Format::Text, Some("KeyMetadata.KeyId")).as_str(), "k\n");
        assert_eq!(r(&nested, Format::Text, Some("KeyMetadata.Nope")).as_str(), "None\n");
        assert_eq!(r(&doc(), Format::Text, Some("KeyId.Deeper")).as_str(), "None\n");
    }

    #[test]
    fn text_escapes_control_characters() {
        let hostile =
            Obj::new().str("Description", "a\nFAKE\tline\u{1b}[2J").with("L", Val::StrList(vec!["x\ny".into()]));
        assert_eq!(r(&hostile, Format::Text, None).as_str(), "a\\nFAKE\\tline\\u{1b}[2J\tx\\ny\n");
        assert_eq!(r(&hostile, Format::Text, Some("Description")).as_str(), "a\\nFAKE\\tline\\u{1b}[2J\n");
        // JSON escapes them already.
        let v: serde_json::Value = serde_json::from_str(&r(&hostile, Format::Json, None)).unwrap();
        assert_eq!(v["Description"], "a\nFAKE\tline\u{1b}[2J");
    }

    /// The answer's buffer is allocated once at its exact size, whatever the document holds
    /// (a large secret, text that escaping makes longer, a query), so it never reallocated.
    #[test]
    fn the_buffer_has_the_exact_size_of_the_answer() {
        let secret = "A".repeat(100_000);
        let escaped = "\u{1}\n\"".repeat(5000);
        let doc = Obj::new()
            .with("Plaintext", Val::Secret(Zeroizing::new(secret)))
            .str("Description", escaped)
            .with("Keys", Val::List(vec![Obj::new().str("KeyId", "a").num("N", 1), Obj::new()]))
            .with("Tags", Val::StrList(vec!["\u{1b}x".into()]));
        for format in [Format::Json, Format::Text] {
            for query in [None, Some("Plaintext"), Some("Keys"), Some("Description"), Some("Nope")] {
                let out = r(&doc, format, query);
                assert!(!out.is_empty());
                assert_eq!(out.capacity(), out.len(), "{format:?} {query:?}");
            }
        }
        assert_eq!(r(&doc, Format::Text, Some("Keys")).as_str(), "a\t1\n");
        assert_eq!(r(&Obj::new().with("L", Val::List(vec![])), Format::Text, Some("L")).as_str(), "\n");
    }
}
