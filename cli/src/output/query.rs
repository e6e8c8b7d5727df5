//! `--query`: a JMESPath expression over the answer, as the AWS CLI applies it (the `jmespath`
//! crate, from the JMESPath project, which the AWS CLI's Python implementation comes from).
//!
//! The expression is compiled when the command line is parsed: a malformed one is a usage
//! error (exit 2) and the command does not run. What can only fail on the answer (a function
//! given a value of the wrong type) is a ValidationException after it ran, as in the AWS CLI.
//!
//! Secrets never enter the JMESPath engine: its strings are plain `String`s that it copies and
//! drops without wiping. A secret is searched as a stand-in string (empty if the secret is,
//! so that truth tests agree) and printed from the answer itself, which the engine's values
//! point back to. A function or a comparison would see the stand-in, not the secret, so a
//! query that has one is refused on an answer that holds a secret; selecting, indexing,
//! projecting, filtering on truth and building lists and objects all work.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use jmespath::ast::Ast;
use jmespath::{Context, DEFAULT_RUNTIME, Expression, Rcvar, Variable};

use super::{Node, Obj, Shape, Val};
use crate::error::CliError;

/// The longest expression accepted, in bytes.
pub(crate) const MAX_LEN: usize = 4096;

/// The most operators and brackets (characters other than letters, digits, `_` and spaces)
/// an expression may have. The JMESPath parser and interpreter recurse once per nesting
/// level, and every level takes at least one of these (`(((…`, `[?[?…`, `!!…`, `a[*].b[*]…`):
/// 512 levels fit in a quarter of the main thread's usual 8 MiB stack even unoptimized
/// (which overflows past about 1,200 levels). Real queries have a few dozen.
pub(crate) const MAX_OPERATORS: usize = 512;

/// The largest index or slice bound accepted, either sign: the JMESPath engine steps through
/// slices in `i32` arithmetic, which a bound near `i32::MAX` overflows. No answer is that long.
pub(crate) const MAX_INDEX: i32 = 1 << 30;

/// What the secrets stand in as. Never printed: a secret is printed from the answer.
const STAND_IN: &str = "(secret)";

/// A compiled `--query`.
#[derive(Clone)]
pub(crate) struct Query {
    expression: Expression<'static>,
    /// It has a function or a comparison: it may look into a value, not just select it.
    reads_values: bool,
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Query").field(&self.expression.as_str()).finish()
    }
}

impl Query {
    /// Compiles `text` (clap's value parser for `--query`).
    ///
    /// # Errors
    /// What is wrong with the expression, and where.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_LEN {
            return Err(format!("a query is at most {MAX_LEN} bytes long"));
        }
        if operators(text) > MAX_OPERATORS {
            return Err(format!("a query has at most {MAX_OPERATORS} operators and brackets"));
        }
        let expression = jmespath::compile(&legacy_literals(text)).map_err(|e| {
            // Where the expression as given fails, if it does (a rewritten literal moves the
            // offsets after it).
            let e = jmespath::compile(text).err().unwrap_or(e);
            format!("not a JMESPath expression: {} (at character {})", e.reason, e.offset)
        })?;
        let mut reads_values = false;
        check(expression.as_ast(), &mut reads_values)?;
        Ok(Self { expression, reads_values })
    }

    /// Searches the answer in `tree`.
    ///
    /// # Errors
    /// ValidationException: the expression fails on this answer, or would read a secret.
    pub(crate) fn search(&self, tree: &Tree<'_>) -> Result<Rcvar, CliError> {
        if self.reads_values && tree.has_secret {
            return Err(CliError::validation(
                "--query: this answer holds a secret value, which functions and comparisons are not applied to \
                 (select it without them, e.g. --query Plaintext)",
            ));
        }
        // `interpret` over the tree's own values: `Expression::search` would first copy them
        // (through serde), and the copies would not point back to the answer.
        let mut context = Context::new(self.expression.as_str(), &DEFAULT_RUNTIME);
        jmespath::interpret(&tree.root, self.expression.as_ast(), &mut context)
            .map_err(|e| CliError::validation(format!("--query: {}", e.reason)))
    }
}

/// `text` with JMESPath's deprecated literals (JEP 12) written as JSON strings, as the AWS
/// CLI's JMESPath reads them: `` `alias/Example` ``, which is not JSON, is the string
/// `` `"alias/Example"` ``. Its documentation's filters use that form
/// (`` Aliases[?AliasName==`alias/ExampleAlias`] ``); the Rust implementation refuses it.
/// Raw strings (`'…'`) and quoted names (`"…"`) are copied as they are; a backslash escapes
/// the character after it in all three.
fn legacy_literals(text: &str) -> Cow<'_, str> {
    if !text.contains('`') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().saturating_add(16));
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if !matches!(c, '\'' | '"' | '`') {
            out.push(c);
            continue;
        }
        // The quoted text, escapes kept; `closed` if its closing quote came.
        let mut quoted = String::new();
        let mut closed = false;
        while let Some(q) = chars.next() {
            if q == c {
                closed = true;
                break;
            }
            quoted.push(q);
            if q == '\\' {
                quoted.extend(chars.next());
            }
        }
        let string = (c == '`' && closed)
            .then(|| quoted.replace("\\`", "`"))
            .filter(|lexeme| serde_json::from_str::<serde_json::Value>(lexeme).is_err())
            .and_then(|lexeme| serde_json::from_str::<String>(&format!("\"{}\"", lexeme.trim_start())).ok())
            .and_then(|s| serde_json::to_string(&s).ok());
        match string {
            Some(json) => {
                out.push('`');
                out.push_str(&json.replace('`', "\\`"));
                out.push('`');
            }
            None => {
                out.push(c);
                out.push_str(&quoted);
                if closed {
                    out.push(c);
                }
            }
        }
    }
    Cow::Owned(out)
}

/// The characters of `text` that [`MAX_OPERATORS`] counts.
fn operators(text: &str) -> usize {
    text.chars().filter(|c| !(c.is_alphanumeric() || *c == '_' || c.is_whitespace())).count()
}

/// Refuses at compile time what the engine would only find (or trip on) while searching:
/// unknown functions, a zero slice step, bounds past [`MAX_INDEX`]; notes functions and
/// comparisons.
fn check(ast: &Ast, reads_values: &mut bool) -> Result<(), String> {
    let bound = |n: i32| {
        if (-MAX_INDEX..=MAX_INDEX).contains(&n) {
            Ok(())
        } else {
            Err(format!("an index or slice bound is at most {MAX_INDEX} either way, not {n}"))
        }
    };
    match ast {
        Ast::Identity { .. } | Ast::Field { .. } | Ast::Literal { .. } => Ok(()),
        Ast::Index { idx, .. } => bound(*idx),
        Ast::Slice { start, stop, step, .. } => {
            if *step == 0 {
                return Err("a slice step cannot be 0".to_owned());
            }
            start.iter().chain(stop).chain([step]).try_for_each(|n| bound(*n))
        }
        Ast::Comparison { lhs, rhs, .. } => {
            *reads_values = true;
            check(lhs, reads_values)?;
            check(rhs, reads_values)
        }
        Ast::Function { name, args, .. } => {
            *reads_values = true;
            if DEFAULT_RUNTIME.get_function(name).is_none() {
                return Err(format!("unknown function: {name}()"));
            }
            args.iter().try_for_each(|a| check(a, reads_values))
        }
        Ast::Condition { predicate: lhs, then: rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. }
        | Ast::Subexpr { lhs, rhs, .. } => {
            check(lhs, reads_values)?;
            check(rhs, reads_values)
        }
        Ast::Expref { ast: node, .. }
        | Ast::Flatten { node, .. }
        | Ast::Not { node, .. }
        | Ast::ObjectValues { node, .. } => check(node, reads_values),
        Ast::MultiList { elements, .. } => elements.iter().try_for_each(|a| check(a, reads_values)),
        Ast::MultiHash { elements, .. } => elements.iter().try_for_each(|kv| check(&kv.value, reads_values)),
    }
}

/// The answer as JMESPath values, each mapped back to the part of the answer it stands for.
pub(crate) struct Tree<'a> {
    root: Rcvar,
    /// By the address of the engine's value (alive, so unique, while `root` is).
    origins: HashMap<*const Variable, Node<'a>>,
    /// A non-empty secret is among the values.
    has_secret: bool,
}

impl fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree").field("values", &self.origins.len()).finish_non_exhaustive()
    }
}

impl<'a> Tree<'a> {
    pub(crate) fn of(doc: &'a Obj) -> Self {
        let mut tree = Self { root: Rcvar::new(Variable::Null), origins: HashMap::new(), has_secret: false };
        tree.root = tree.obj(doc);
        tree
    }

    fn obj(&mut self, obj: &'a Obj) -> Rcvar {
        let fields = obj.0.iter().map(|(name, val)| ((*name).to_owned(), self.val(val))).collect();
        let var = Rcvar::new(Variable::Object(fields));
        self.origins.insert(Rcvar::as_ptr(&var), Node::Obj(obj));
        var
    }

    fn val(&mut self, val: &'a Val) -> Rcvar {
        let var = match val {
            Val::Str(s) => Variable::String(s.clone()),
            Val::Secret(s) if s.is_empty() => Variable::String(String::new()),
            Val::Secret(_) => {
                self.has_secret = true;
                Variable::String(STAND_IN.to_owned())
            }
            Val::Num(n) => Variable::Number((*n).into()),
            Val::Bool(b) => Variable::Bool(*b),
            Val::StrList(items) => {
                Variable::Array(items.iter().map(|s| Rcvar::new(Variable::String(s.clone()))).collect())
            }
            Val::List(items) => Variable::Array(items.iter().map(|o| self.obj(o)).collect()),
            Val::Obj(o) => return self.obj(o),
        };
        let var = Rcvar::new(var);
        self.origins.insert(Rcvar::as_ptr(&var), Node::Val(val));
        var
    }

    /// The search result `var` as a node to print.
    pub(crate) fn node(&'a self, var: &'a Rcvar) -> Node<'a> {
        Node::Query(var, self)
    }

    /// What `var` holds: what it stands for in the answer, if it is part of it (so a secret
    /// prints as itself, and an object in the answer's field order).
    pub(super) fn shape(&'a self, var: &'a Variable) -> Shape<'a> {
        if let Some(node) = self.origins.get(&core::ptr::from_ref(var)) {
            return node.shape();
        }
        match var {
            Variable::Null | Variable::Expref(_) => Shape::Null,
            Variable::Bool(b) => Shape::Bool(*b),
            Variable::Number(n) => Shape::Num(n.to_string()),
            Variable::String(s) => Shape::Str(s),
            Variable::Array(items) => Shape::List(items.iter().map(|v| Node::Query(v, self)).collect()),
            Variable::Object(fields) => {
                Shape::Obj(fields.iter().map(|(name, v)| (name.as_str(), Node::Query(v, self))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::super::{Format, render};
    use super::*;

    fn secret_doc() -> Obj {
        Obj::new()
            .str("KeyId", "arn:k")
            .with("Plaintext", Val::Secret(Zeroizing::new("c2VjcmV0".into())))
            .with("Empty", Val::Secret(Zeroizing::new(String::new())))
    }

    fn text(doc: &Obj, q: &str) -> Result<String, CliError> {
        render(doc, Format::Text, Some(&Query::parse(q).unwrap())).map(|s| s.as_str().to_owned())
    }

    #[test]
    fn malformed_queries_are_refused_with_what_is_wrong() {
        for (q, says) in [
            ("Keys[", "not a JMESPath expression"),
            ("Keys[0", "not a JMESPath expression"),
            ("~", "not a JMESPath expression"),
            ("nope(Keys)", "unknown function: nope()"),
            ("Keys[::0]", "slice step cannot be 0"),
            ("Keys[-2147483647]", "at most 1073741824"),
            ("Keys[-2147483648]", "not a JMESPath expression"),
            ("Keys[1::2147483647]", "at most 1073741824"),
            ("length(Keys[1073741825:])", "at most 1073741824"),
        ] {
            let e = Query::parse(q).unwrap_err();
            assert!(e.contains(says), "{q}: {e}");
        }
        assert!(Query::parse(&"a.".repeat(MAX_LEN)).unwrap_err().contains("at most 4096 bytes"));
        assert!(Query::parse("Keys[1073741824::-1073741824]").is_ok());
    }

    #[test]
    fn deprecated_literals_are_strings_as_in_the_aws_cli() {
        let doc = Obj::new().with(
            "Aliases",
            Val::List(vec![
                Obj::new().str("AliasName", "alias/Ex`ample").str("TargetKeyId", "1"),
                Obj::new().str("AliasName", "alias/b").str("TargetKeyId", "2"),
            ]),
        );
        for (q, expected) in [
            ("Aliases[?AliasName==`alias/b`].TargetKeyId", "2\n"),
            ("Aliases[?AliasName==` alias/b`].TargetKeyId", "2\n"),
            ("Aliases[?AliasName==`alias/Ex\\`ample`].TargetKeyId", "1\n"),
            // JSON literals stay JSON.
            ("Aliases[?AliasName==`\"alias/b\"`].TargetKeyId", "2\n"),
            ("length(Aliases) == `2`", "True\n"),
            // A backtick inside a raw string or a quoted name is not a literal.
            ("Aliases[?AliasName=='`alias/b`'].TargetKeyId", ""),
            ("Aliases[?AliasName=='alias/b' || \"`x\"].TargetKeyId", "2\n"),
        ] {
            assert_eq!(text(&doc, q).unwrap(), expected, "{q}");
        }
        assert_eq!(legacy_literals("a == `x`"), "a == `\"x\"`");
        assert_eq!(legacy_literals("a == `x"), "a == `x");
        assert_eq!(legacy_literals("'\\'`x`'"), "'\\'`x`'");
        assert!(Query::parse("a == `\"x`").unwrap_err().contains("not a JMESPath expression"));
    }

    #[test]
    fn deep_nesting_is_refused_before_it_is_parsed() {
        let nests = [("(", ")"), ("[", "]"), ("!", ""), ("[?", "]"), ("a[*].", ""), ("abs(", ")")];
        for (open, _) in nests {
            let q = format!("{}a", open.repeat(MAX_OPERATORS + 1));
            assert!(Query::parse(&q).unwrap_err().contains("at most 512 operators"), "{q}");
        }
        // At the bound, on a stack the size of the main thread's: parsed, searched and printed
        // (or refused by the parser) without overflowing.
        let at_bound = std::thread::Builder::new().stack_size(8 << 20).spawn(move || {
            let doc = Obj::new().str("a", "x");
            for (open, close) in nests {
                let levels = MAX_OPERATORS / operators(&format!("{open}{close}"));
                for unclosed in [false, true] {
                    let q = format!("{}a{}", open.repeat(levels), if unclosed { "" } else { close }.repeat(levels));
                    if let Ok(query) = Query::parse(&q) {
                        let _ = render(&doc, Format::Json, Some(&query));
                    }
                }
            }
        });
        at_bound.unwrap().join().unwrap();
        // Long queries of plain names are fine.
        assert!(Query::parse(&format!("{}.b", "a".repeat(MAX_LEN - 2))).is_ok());
    }

    #[test]
    fn a_secret_is_selected_but_never_read_by_a_function_or_a_comparison() {
        let doc = secret_doc();
        assert_eq!(text(&doc, "Plaintext").unwrap(), "c2VjcmV0\n");
        assert_eq!(text(&doc, "[KeyId, Plaintext]").unwrap(), "arn:k\tc2VjcmV0\n");
        assert_eq!(text(&doc, "{P: Plaintext}.P").unwrap(), "c2VjcmV0\n");
        assert_eq!(text(&doc, "Plaintext || KeyId").unwrap(), "c2VjcmV0\n");
        // The stand-in of an empty secret is empty: truth tests agree with the secret.
        assert_eq!(text(&doc, "Empty || KeyId").unwrap(), "arn:k\n");
        assert_eq!(text(&doc, "!Empty").unwrap(), "True\n");
        assert_eq!(text(&doc, "[@][?Plaintext].KeyId").unwrap(), "arn:k\n");
        assert_eq!(text(&doc, "[@][?Empty].KeyId").unwrap(), "");
        for q in ["length(Plaintext)", "Plaintext == 'c2VjcmV0'", "length(KeyId)", "[@][?Plaintext == KeyId]"] {
            let e = text(&doc, q).unwrap_err();
            assert!(e.message.contains("holds a secret value"), "{q}: {}", e.message);
        }
        // Without a secret in the answer, functions and comparisons work.
        let plain = Obj::new().str("KeyId", "arn:k");
        assert_eq!(text(&plain, "length(KeyId)").unwrap(), "5\n");
        assert_eq!(text(&plain, "KeyId == 'arn:k'").unwrap(), "True\n");
    }

    #[test]
    fn the_stand_in_never_prints() {
        let doc = secret_doc();
        for q in ["@", "*", "[*]", "values(@)", "Plaintext", "[Plaintext][0]", "{a: [Plaintext]}"] {
            let Ok(out) = text(&doc, q) else { continue };
            assert!(!out.contains(STAND_IN), "{q}: {out}");
        }
    }

    #[test]
    fn a_runtime_failure_is_a_validation_error() {
        let e = text(&Obj::new().num("N", 1), "length(N)").unwrap_err();
        assert_eq!(e.class, crate::error::Class::Validation);
        assert!(e.message.starts_with("--query: "), "{}", e.message);
    }
}
