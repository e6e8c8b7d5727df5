//! `--output json`: the layout of Python's `json.dump(indent=4, ensure_ascii=False)`, which the
//! AWS CLI prints with.

use super::{Node, Shape};

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn string(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("null"),
    }
}

/// Writes `node` at nesting `level` (no newline after it).
pub(super) fn value(out: &mut String, node: Node<'_>, level: usize) {
    match node.shape() {
        Shape::Null => out.push_str("null"),
        Shape::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Shape::Num(n) => out.push_str(&n),
        Shape::Str(s) => string(out, s),
        Shape::Secret(s) => {
            // Base64: nothing to escape, and no copy made by an escaper.
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Shape::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 1);
                value(out, *item, level + 1);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        Shape::Obj(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for (i, (name, item)) in fields.iter().enumerate() {
                indent(out, level + 1);
                string(out, name);
                out.push_str(": ");
                value(out, *item, level + 1);
                if i + 1 < fields.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push('}');
        }
    }
}
