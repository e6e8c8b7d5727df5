//! `--output json`: the layout of Python's `json.dump(indent=4, ensure_ascii=False)`, which the
//! AWS CLI prints with.

use core::fmt::{self, Write};

use super::{Node, Shape};

fn indent(out: &mut dyn Write, level: usize) -> fmt::Result {
    for _ in 0..level {
        out.write_str("    ")?;
    }
    Ok(())
}

/// A JSON string (public text: the escaping copy is not zeroized).
pub(crate) fn string(out: &mut dyn Write, s: &str) -> fmt::Result {
    // Names and non-secret strings only (secrets are `Shape::Secret`), so the escaper's own
    // string is no copy of a secret.
    match serde_json::to_string(s) {
        Ok(quoted) => out.write_str(&quoted),
        Err(_) => out.write_str("null"),
    }
}

/// Writes `node` at nesting `level` (no newline after it).
pub(super) fn value(out: &mut dyn Write, node: Node<'_>, level: usize) -> fmt::Result {
    match node.shape() {
        Shape::Null => out.write_str("null"),
        Shape::Bool(b) => out.write_str(if b { "true" } else { "false" }),
        Shape::Num(n) => out.write_str(&n),
        Shape::Str(s) => string(out, s),
        Shape::Secret(s) => {
            // Base64: nothing to escape, and no copy made by an escaper.
            out.write_char('"')?;
            out.write_str(s)?;
            out.write_char('"')
        }
        Shape::List(items) => {
            if items.is_empty() {
                return out.write_str("[]");
            }
            out.write_str("[\n")?;
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 1)?;
                value(out, *item, level + 1)?;
                if i + 1 < items.len() {
                    out.write_char(',')?;
                }
                out.write_char('\n')?;
            }
            indent(out, level)?;
            out.write_char(']')
        }
        Shape::Obj(fields) => {
            if fields.is_empty() {
                return out.write_str("{}");
            }
            out.write_str("{\n")?;
            for (i, (name, item)) in fields.iter().enumerate() {
                indent(out, level + 1)?;
                string(out, name)?;
                out.write_str(": ")?;
                value(out, *item, level + 1)?;
                if i + 1 < fields.len() {
                    out.write_char(',')?;
                }
                out.write_char('\n')?;
            }
            indent(out, level)?;
            out.write_char('}')
        }
    }
}
