//! What a command prints: a small ordered document, rendered as JSON (the AWS CLI's
//! `--output json`) or text (`--output text`, the AWS CLI's tab-separated layout), after an
//! optional JMESPath `--query` ([`query`]).
//!
//! Secret values (plaintexts, data keys) are [`Val::Secret`]: they are written only into a
//! zeroizing buffer, never into an intermediate `String` that outlives the output.

// Paths spelled out: the fuzz bodies (fuzz/bodies/src/cli_query.rs) compile this module from
// its file, where the default paths would not lead here.
#[path = "output/json.rs"]
pub(crate) mod json;
#[path = "output/query.rs"]
pub(crate) mod query;
#[path = "output/text.rs"]
mod text;

use core::fmt;

use zeroize::Zeroizing;

use crate::error::{Class, CliError};
pub(crate) use query::Query;
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

/// Renders `doc`, or what `query` selects from it, into a zeroizing buffer; empty for an empty
/// object (as the AWS CLI prints nothing for `{}`).
///
/// # Errors
/// ValidationException when the query fails on this answer (a function given the wrong type,
/// or a function or comparison over a secret value: see [`query`]).
pub(crate) fn render(doc: &Obj, format: Format, query: Option<&Query>) -> Result<Zeroizing<String>, CliError> {
    // Written twice by the same code, counted then into a buffer of exactly that size
    // (`crate::exact`), so that a secret is not copied by the string growing (each
    // reallocation would leave an unwiped copy behind). The caller writes the buffer to stdout
    // in one `write_all` of text ending in a newline, which std's line-buffered stdout passes
    // straight through without keeping a copy in its own buffer.
    let formatted = match query {
        None => crate::exact::render(|out| write(out, Node::Obj(doc), format)),
        Some(query) => {
            let tree = query::Tree::of(doc);
            let result = query.search(&tree)?;
            let node = tree.node(&result);
            crate::exact::render(|out| write(out, node, format))
        }
    };
    formatted.map_err(|_| CliError::new(Class::Internal, "the answer could not be formatted"))
}

fn write(out: &mut dyn fmt::Write, node: Node<'_>, format: Format) -> fmt::Result {
    match format {
        Format::Json => {
            if matches!(node.shape(), Shape::Obj(fields) if fields.is_empty()) {
                return Ok(());
            }
            json::value(out, node, 0)?;
            out.write_char('\n')
        }
        Format::Text => text::value(out, node),
    }
}

/// A value to print: a part of the answer, or a value a query made from it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node<'a> {
    Val(&'a Val),
    Obj(&'a Obj),
    /// An element of a [`Val::StrList`].
    Str(&'a str),
    /// A value a query made; what it took from the answer is printed from the answer.
    Query(&'a jmespath::Variable, &'a query::Tree<'a>),
}

/// What a [`Node`] holds, one level deep: what both output formats walk.
#[derive(Debug)]
pub(crate) enum Shape<'a> {
    Null,
    Bool(bool),
    /// A number, as JSON writes it.
    Num(String),
    Str(&'a str),
    /// Base64 of a secret: printed as it is, never copied elsewhere.
    Secret(&'a str),
    List(Vec<Node<'a>>),
    /// Fields in the answer's order (a query's new objects: sorted by name).
    Obj(Vec<(&'a str, Node<'a>)>),
}

impl<'a> Node<'a> {
    pub(crate) fn shape(self) -> Shape<'a> {
        match self {
            Node::Val(val) => match val {
                Val::Str(s) => Shape::Str(s),
                Val::Secret(s) => Shape::Secret(s),
                Val::Num(n) => Shape::Num(n.to_string()),
                Val::Bool(b) => Shape::Bool(*b),
                Val::StrList(items) => Shape::List(items.iter().map(|s| Node::Str(s)).collect()),
                Val::List(items) => Shape::List(items.iter().map(Node::Obj).collect()),
                Val::Obj(o) => Node::Obj(o).shape(),
            },
            Node::Obj(obj) => Shape::Obj(obj.0.iter().map(|(name, val)| (*name, Node::Val(val))).collect()),
            Node::Str(s) => Shape::Str(s),
            Node::Query(var, tree) => tree.shape(var),
        }
    }

    /// A list or an object (the text layout's non-scalars).
    pub(crate) fn is_nested(self) -> bool {
        matches!(self.shape(), Shape::List(_) | Shape::Obj(_))
    }
}

/// Text output with control characters escaped (`\n`, `\t`, `\u{1b}`): a description cannot
/// break the line layout or send escape sequences to a terminal.
fn push_escaped(out: &mut dyn fmt::Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        if c.is_control() {
            write!(out, "{}", c.escape_default())?;
        } else {
            out.write_char(c)?;
        }
    }
    Ok(())
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

    fn query(text: &str) -> Query {
        Query::parse(text).unwrap()
    }

    fn out(doc: &Obj, format: Format, q: Option<&str>) -> String {
        render(doc, format, q.map(query).as_ref()).unwrap().as_str().to_owned()
    }

    #[test]
    fn json_parses_back_with_the_same_fields() {
        let text = out(&doc(), Format::Json, None);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["KeyId"], "k\"1");
        assert_eq!(v["Plaintext"], "AAEC");
        assert_eq!(v["Truncated"], false);
        assert_eq!(v["Keys"][0]["N"], 1);
    }

    #[test]
    fn text_and_query() {
        assert_eq!(out(&doc(), Format::Text, None), "k\"1\tAAEC\tFalse\nKEYS\ta\t1\n");
        assert_eq!(out(&doc(), Format::Text, Some("Plaintext")), "AAEC\n");
        assert_eq!(out(&doc(), Format::Json, Some("Plaintext")), "\"AAEC\"\n");
        assert_eq!(out(&doc(), Format::Json, Some("Nope")), "null\n");
        assert_eq!(out(&Obj::new(), Format::Json, None), "");
        let nested = Obj::new().with("KeyMetadata", Val::Obj(Obj::new().str("KeyId", "k")));
        assert_eq!(out(&nested, Format::Text, Some("KeyMetadata.KeyId")), "k\n");
        assert_eq!(out(&nested, Format::Text, Some("KeyMetadata.Nope")), "None\n");
        assert_eq!(out(&doc(), Format::Text, Some("KeyId.Deeper")), "None\n");
    }

    #[test]
    fn text_escapes_control_characters() {
        let hostile =
            Obj::new().str("Description", "a\nFAKE\tline\u{1b}[2J").with("L", Val::StrList(vec!["x\ny".into()]));
        assert_eq!(out(&hostile, Format::Text, None), "a\\nFAKE\\tline\\u{1b}[2J\nL\tx\\ny\n");
        assert_eq!(out(&hostile, Format::Text, Some("Description")), "a\\nFAKE\\tline\\u{1b}[2J\n");
        assert_eq!(out(&hostile, Format::Text, Some("L")), "x\\ny\n");
        // JSON escapes them already.
        let v: serde_json::Value = serde_json::from_str(&out(&hostile, Format::Json, None)).unwrap();
        assert_eq!(v["Description"], "a\nFAKE\tline\u{1b}[2J");
    }

    /// The rules of the AWS CLI's `awscli/text.py`, one by one.
    #[test]
    fn text_follows_the_aws_cli_layout() {
        // A list field prints after the scalars, one NAME<TAB>value line per element (as
        // `describe-key` prints ENCRYPTIONALGORITHMS).
        let meta = Obj::new()
            .str("KeyId", "k")
            .with("EncryptionAlgorithms", Val::StrList(vec!["SYMMETRIC_DEFAULT".into(), "X".into()]))
            .with("Enabled", Val::Bool(true));
        let d = Obj::new().with("KeyMetadata", Val::Obj(meta));
        assert_eq!(
            out(&d, Format::Text, None),
            "KEYMETADATA\tTrue\tk\nENCRYPTIONALGORITHMS\tSYMMETRIC_DEFAULT\nENCRYPTIONALGORITHMS\tX\n"
        );
        // Objects of a list share their columns: a field one lacks is an empty column.
        let aliases = Obj::new().with(
            "Aliases",
            Val::List(vec![
                Obj::new().str("AliasName", "alias/a").str("TargetKeyId", "1"),
                Obj::new().str("AliasName", "alias/aws/b"),
            ]),
        );
        assert_eq!(out(&aliases, Format::Text, None), "ALIASES\talias/a\t1\nALIASES\talias/aws/b\t\n");
        // A bare list of scalars: one line; of lists: each on its line; an empty list: nothing.
        assert_eq!(out(&aliases, Format::Text, Some("Aliases[*].AliasName")), "alias/a\talias/aws/b\n");
        assert_eq!(
            out(&aliases, Format::Text, Some("Aliases[*].[AliasName, TargetKeyId]")),
            "alias/a\t1\nalias/aws/b\tNone\n"
        );
        assert_eq!(out(&aliases, Format::Text, Some("Aliases[?TargetKeyId == 'none']")), "");
        // Nested objects and lists sort by name after the scalars.
        let both = Obj::new()
            .with("B", Val::Obj(Obj::new().str("X", "b")))
            .with("A", Val::StrList(vec!["a".into()]))
            .num("N", 7);
        assert_eq!(out(&both, Format::Text, None), "7\nA\ta\nB\tb\n");
        // Scalars as Python prints them.
        assert_eq!(out(&both, Format::Text, Some("`null`")), "None\n");
        assert_eq!(out(&both, Format::Text, Some("`[true, 1.5, \"s\"]`")), "True\t1.5\ts\n");
    }

    #[test]
    fn json_follows_the_aws_cli_layout() {
        let d = Obj::new().with("Keys", Val::List(vec![Obj::new().str("KeyId", "a").str("KeyArn", "arn:a")]));
        // The answer's field order, four-space indent; an empty object prints nothing.
        assert_eq!(out(&d, Format::Json, Some("Keys[0]")), "{\n    \"KeyId\": \"a\",\n    \"KeyArn\": \"arn:a\"\n}\n");
        assert_eq!(out(&d, Format::Json, Some("Keys[*].KeyId")), "[\n    \"a\"\n]\n");
        assert_eq!(out(&d, Format::Json, Some("length(Keys)")), "1\n");
        assert_eq!(out(&d, Format::Json, Some("Keys[?KeyId == 'b']")), "[]\n");
        assert_eq!(out(&d, Format::Json, Some("`{}`")), "");
        assert_eq!(out(&d, Format::Json, Some("`false`")), "false\n");
    }

    #[test]
    fn the_buffer_has_the_exact_size_of_the_answer() {
        let secret = "A".repeat(100_000);
        let escaped = "\u{1}\n\"".repeat(5000);
        let doc = Obj::new()
            .with("Plaintext", Val::Secret(Zeroizing::new(secret.clone())))
            .str("Description", escaped)
            .with("Keys", Val::List(vec![Obj::new().str("KeyId", "a").num("N", 1), Obj::new()]))
            .with("Tags", Val::StrList(vec!["\u{1b}x".into()]));
        for format in [Format::Json, Format::Text] {
            for q in
                [None, Some("Plaintext"), Some("[Plaintext, Keys]"), Some("Keys"), Some("Description"), Some("Nope")]
            {
                let out = render(&doc, format, q.map(query).as_ref()).unwrap();
                assert!(!out.is_empty(), "{format:?} {q:?}");
                // Equal only if the buffer never grew: no reallocation left a copy behind.
                assert_eq!(out.capacity(), out.len(), "{format:?} {q:?}");
                if q.is_none_or(|q| q.contains("Plaintext")) {
                    assert!(out.contains(&secret), "{format:?} {q:?}");
                }
            }
        }
    }
}
