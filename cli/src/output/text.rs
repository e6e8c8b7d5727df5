//! `--output text`: the AWS CLI's tab-separated layout (`awscli/text.py`), rule for rule.
//!
//! - A scalar prints on its own line (`None`, `True`, `False` as Python writes them).
//! - An object prints its scalar fields, sorted by name, on one line, prefixed by the
//!   upper-cased name of the field that holds it; then each list or object field, sorted by
//!   name, under its own name.
//! - A list of objects prints one line per object, with the columns of every scalar field
//!   any of them has (an empty column where one lacks it), so that the columns line up.
//! - A list of scalars prints on one line, tab-separated; under a field name, one
//!   `NAME<TAB>value` line per element.
//!
//! One difference, on purpose: control characters in strings are escaped (`\n`, `\t`,
//! `\u{1b}`), so that a description cannot break the layout or drive the terminal. Secrets
//! (base64) are written as they are.

use core::fmt::{self, Write};

use super::{Node, Shape, push_escaped};

/// Writes `node` as the AWS CLI's text output.
pub(super) fn value(out: &mut dyn Write, node: Node<'_>) -> fmt::Result {
    any(out, node, None, None)
}

fn any(out: &mut dyn Write, node: Node<'_>, label: Option<&str>, columns: Option<&[&str]>) -> fmt::Result {
    match node.shape() {
        Shape::Obj(fields) => object(out, &fields, label, columns),
        Shape::List(items) => list(out, &items, label),
        scalar => {
            self::scalar(out, &scalar)?;
            out.write_char('\n')
        }
    }
}

fn scalar(out: &mut dyn Write, shape: &Shape<'_>) -> fmt::Result {
    match shape {
        Shape::Null => out.write_str("None"),
        Shape::Bool(b) => out.write_str(if *b { "True" } else { "False" }),
        Shape::Num(n) => out.write_str(n),
        Shape::Str(s) => push_escaped(out, s),
        Shape::Secret(s) => out.write_str(s),
        // Not reached: a nested value is never written as a column.
        Shape::List(_) | Shape::Obj(_) => Ok(()),
    }
}

/// Writes the label, if any; says whether it wrote one.
fn label_line(out: &mut dyn Write, label: Option<&str>) -> Result<bool, fmt::Error> {
    match label {
        Some(label) => {
            push_escaped(out, &label.to_uppercase())?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// `columns`: the scalar fields of every object of the list this one is in, if any.
fn object(
    out: &mut dyn Write,
    fields: &[(&str, Node<'_>)],
    label: Option<&str>,
    columns: Option<&[&str]>,
) -> fmt::Result {
    let mut sorted: Vec<&(&str, Node<'_>)> = fields.iter().collect();
    sorted.sort_by_key(|(name, _)| *name);
    let scalars: Vec<Option<Node<'_>>> = match columns {
        None => sorted.iter().filter(|(_, v)| !v.is_nested()).map(|(_, v)| Some(*v)).collect(),
        Some(columns) => {
            columns.iter().map(|column| fields.iter().find(|(name, _)| name == column).map(|(_, v)| *v)).collect()
        }
    };
    if !scalars.is_empty() {
        let mut first = !label_line(out, label)?;
        for column in scalars {
            if !first {
                out.write_char('\t')?;
            }
            first = false;
            // A field missing here, or nested here but scalar in another object: empty.
            if let Some(node) = column.filter(|v| !v.is_nested()) {
                scalar(out, &node.shape())?;
            }
        }
        out.write_char('\n')?;
    }
    for (name, node) in sorted {
        let is_column = columns.is_some_and(|c| c.contains(name));
        if node.is_nested() && !is_column {
            any(out, *node, Some(name), None)?;
        }
    }
    Ok(())
}

fn list(out: &mut dyn Write, items: &[Node<'_>], label: Option<&str>) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    let shapes: Vec<Shape<'_>> = items.iter().map(|n| n.shape()).collect();
    if shapes.iter().any(|s| matches!(s, Shape::Obj(_))) {
        let mut columns: Vec<&str> = Vec::new();
        for shape in &shapes {
            if let Shape::Obj(fields) = shape {
                columns.extend(fields.iter().filter(|(_, v)| !v.is_nested()).map(|(name, _)| *name));
            }
        }
        columns.sort_unstable();
        columns.dedup();
        for item in items {
            any(out, *item, label, Some(&columns))?;
        }
    } else {
        let (scalars, nested): (Vec<_>, Vec<_>) = items.iter().zip(&shapes).partition(|(_, s)| !is_nested(s));
        if !scalars.is_empty() {
            match label {
                Some(_) => {
                    for (_, shape) in &scalars {
                        label_line(out, label)?;
                        out.write_char('\t')?;
                        scalar(out, shape)?;
                        out.write_char('\n')?;
                    }
                }
                None => {
                    for (i, (_, shape)) in scalars.iter().enumerate() {
                        if i > 0 {
                            out.write_char('\t')?;
                        }
                        scalar(out, shape)?;
                    }
                    out.write_char('\n')?;
                }
            }
        }
        for (node, _) in nested {
            any(out, *node, label, None)?;
        }
    }
    Ok(())
}

fn is_nested(shape: &Shape<'_>) -> bool {
    matches!(shape, Shape::List(_) | Shape::Obj(_))
}
