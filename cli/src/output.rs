//! What a command prints: a small ordered document, rendered as JSON (the AWS CLI's
//! `--output json`) or text (`--output text`, the AWS CLI's tab-separated layout).
//!
//! Secret values (plaintexts, data keys) are [`Val::Secret`]: they are written only into a
//! zeroizing buffer, never into an intermediate `String` that outlives the output.

use std::fmt::Write as _;

use zeroize::Zeroizing;

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
pub(crate) fn render(doc: &Obj, format: Format, query: Option<&str>) -> Zeroizing<String> {
    // Presized so that a secret is not copied by the string growing (each reallocation would
    // leave an unzeroized copy behind). Escaping can outgrow the estimate only for non-secret
    // text: secrets are base64. The caller writes the buffer to stdout in one `write_all` of
    // text ending in a newline, which std's line-buffered stdout passes straight through
    // without keeping a copy in its own buffer.
    let mut out = Zeroizing::new(String::with_capacity(size(doc).saturating_mul(2).saturating_add(4096)));
    match query {
        Some(field) => {
            let val = lookup(doc, field);
            match (format, val) {
                (Format::Json, Some(v)) => json_val(&mut out, v, 0),
                (Format::Json, None) => out.push_str("null"),
                (Format::Text, Some(Val::Obj(o))) => text_obj(&mut out, None, o),
                (Format::Text, Some(Val::List(items))) => {
                    for item in items {
                        text_obj(&mut out, None, item);
                    }
                }
                (Format::Text, Some(v)) => text_scalar(&mut out, v),
                (Format::Text, None) => out.push_str("None"),
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        None if doc.0.is_empty() => {}
        None => match format {
            Format::Json => {
                json_obj(&mut out, doc, 0);
                out.push('\n');
            }
            Format::Text => text_obj(&mut out, None, doc),
        },
    }
    out
}

/// About the bytes `obj` takes printed, before indentation and escaping.
fn size(obj: &Obj) -> usize {
    obj.0.iter().fold(0usize, |acc, (name, val)| {
        let len = match val {
            Val::Str(s) => s.len(),
            Val::Secret(s) => s.len(),
            Val::Num(_) | Val::Bool(_) => 20,
            Val::StrList(items) => items.iter().map(|s| s.len().saturating_add(8)).sum(),
            Val::List(items) => items.iter().map(|o| size(o).saturating_add(8)).sum(),
            Val::Obj(o) => size(o),
        };
        acc.saturating_add(name.len()).saturating_add(len).saturating_add(16)
    })
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

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("null"),
    }
}

fn json_obj(out: &mut String, obj: &Obj, level: usize) {
    if obj.0.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (i, (name, val)) in obj.0.iter().enumerate() {
        indent(out, level + 1);
        json_str(out, name);
        out.push_str(": ");
        json_val(out, val, level + 1);
        if i + 1 < obj.0.len() {
            out.push(',');
        }
        out.push('\n');
    }
    indent(out, level);
    out.push('}');
}

fn json_val(out: &mut String, val: &Val, level: usize) {
    match val {
        Val::Str(s) => json_str(out, s),
        Val::Secret(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Val::Num(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::StrList(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, s) in items.iter().enumerate() {
                indent(out, level + 1);
                json_str(out, s);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        Val::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, o) in items.iter().enumerate() {
                indent(out, level + 1);
                json_obj(out, o, level + 1);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        Val::Obj(o) => json_obj(out, o, level),
    }
}

/// Text output with control characters escaped (`\n`, `\t`, `\u{1b}`): a description cannot
/// break the line layout or send escape sequences to a terminal.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
}

fn text_scalar(out: &mut String, val: &Val) {
    match val {
        Val::Str(s) => push_escaped(out, s),
        Val::Secret(s) => out.push_str(s),
        Val::Num(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Val::StrList(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                push_escaped(out, item);
            }
        }
        Val::List(_) | Val::Obj(_) => {}
    }
}

/// The AWS CLI's text layout: an object's scalar fields, sorted by name, on one line (prefixed
/// by the upper-cased name of the field holding it), then its nested objects and lists.
fn text_obj(out: &mut String, label: Option<&str>, obj: &Obj) {
    let mut scalars: Vec<&(&'static str, Val)> =
        obj.0.iter().filter(|(_, v)| !matches!(v, Val::List(_) | Val::Obj(_))).collect();
    scalars.sort_by_key(|(name, _)| *name);
    if !scalars.is_empty() {
        let mut first = true;
        if let Some(label) = label {
            out.push_str(&label.to_uppercase());
            first = false;
        }
        for (_, val) in scalars {
            if !first {
                out.push('\t');
            }
            first = false;
            text_scalar(out, val);
        }
        out.push('\n');
    }
    for (name, val) in &obj.0 {
        match val {
            Val::Obj(o) => text_obj(out, Some(name), o),
            Val::List(items) => {
                for item in items {
                    text_obj(out, Some(name), item);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Obj {
        Obj::new()
            .str("KeyId", "k\"1")
            .with("Plaintext", Val::Secret(Zeroizing::new("AAEC".into())))
            .with("Truncated", Val::Bool(false))
            .with("Keys", Val::List(vec![Obj::new().str("KeyId", "a").num("N", 1)]))
    }

    #[test]
    fn json_parses_back_with_the_same_fields() {
        let text = render(&doc(), Format::Json, None);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["KeyId"], "k\"1");
        assert_eq!(v["Plaintext"], "AAEC");
        assert_eq!(v["Truncated"], false);
        assert_eq!(v["Keys"][0]["N"], 1);
    }

    #[test]
    fn text_and_query() {
        assert_eq!(render(&doc(), Format::Text, None).as_str(), "k\"1\tAAEC\tFalse\nKEYS\ta\t1\n");
        assert_eq!(render(&doc(), Format::Text, Some("Plaintext")).as_str(), "AAEC\n");
        assert_eq!(render(&doc(), Format::Json, Some("Plaintext")).as_str(), "\"AAEC\"\n");
        assert_eq!(render(&doc(), Format::Json, Some("Nope")).as_str(), "null\n");
        assert_eq!(render(&Obj::new(), Format::Json, None).as_str(), "");
        let nested = Obj::new().with("KeyMetadata", Val::Obj(Obj::new().str("KeyId", "k")));
        assert_eq!(render(&nested, Format::Text, Some("KeyMetadata.KeyId")).as_str(), "k\n");
        assert_eq!(render(&nested, Format::Text, Some("KeyMetadata.Nope")).as_str(), "None\n");
        assert_eq!(render(&doc(), Format::Text, Some("KeyId.Deeper")).as_str(), "None\n");
    }

    #[test]
    fn text_escapes_control_characters() {
        let hostile =
            Obj::new().str("Description", "a\nFAKE\tline\u{1b}[2J").with("L", Val::StrList(vec!["x\ny".into()]));
        assert_eq!(render(&hostile, Format::Text, None).as_str(), "a\\nFAKE\\tline\\u{1b}[2J\tx\\ny\n");
        assert_eq!(render(&hostile, Format::Text, Some("Description")).as_str(), "a\\nFAKE\\tline\\u{1b}[2J\n");
        // JSON escapes them already.
        let v: serde_json::Value = serde_json::from_str(&render(&hostile, Format::Json, None)).unwrap();
        assert_eq!(v["Description"], "a\nFAKE\tline\u{1b}[2J");
    }

    #[test]
    fn the_buffer_is_presized_for_a_secret() {
        let secret = "A".repeat(100_000);
        let doc = Obj::new().with("Plaintext", Val::Secret(Zeroizing::new(secret.clone()))).str("KeyId", "k");
        for format in [Format::Json, Format::Text] {
            let out = render(&doc, format, None);
            assert!(out.capacity() >= out.len());
            assert!(out.capacity() >= size(&doc) && out.len() < size(&doc).saturating_mul(2), "{format:?}");
        }
    }
}
