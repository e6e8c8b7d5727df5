//! Text that may hold secrets (answers with a plaintext or a data key), written into a
//! zeroizing buffer allocated once, at its exact final size.
//!
//! A `String` that grows moves its bytes to a larger buffer and frees the old one unwiped: each
//! reallocation leaves a copy of the secret on the heap. So the text is rendered twice by the
//! same code: first into a counter, then into a buffer of exactly that capacity that fails
//! rather than grow.

use core::fmt::{self, Write};

use zeroize::Zeroizing;

/// Counts the bytes written.
#[derive(Debug, Default)]
struct Count(usize);

impl Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.checked_add(s.len()).ok_or(fmt::Error)?;
        Ok(())
    }
}

/// A zeroizing string that refuses to outgrow its capacity.
struct Fixed(Zeroizing<String>);

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Zeroizing's Debug would print the text.
        write!(f, "Fixed({} of {} bytes)", self.0.len(), self.0.capacity())
    }
}

impl Write for Fixed {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() > self.0.capacity().saturating_sub(self.0.len()) {
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

/// What `render` writes, in a zeroizing string allocated once with capacity for exactly that.
///
/// # Errors
/// `fmt::Error` if `render` fails, or writes more the second time than the first (it must
/// write the same text each time it is called).
pub(crate) fn render(render: impl Fn(&mut dyn Write) -> fmt::Result) -> Result<Zeroizing<String>, fmt::Error> {
    let mut count = Count::default();
    render(&mut count)?;
    let mut out = Fixed(Zeroizing::new(String::with_capacity(count.0)));
    render(&mut out)?;
    Ok(out.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_has_the_exact_size_and_never_grows() {
        let text = render(|out| {
            out.write_str("{\"Plaintext\":\"")?;
            write!(out, "{}", "QUJD".repeat(1000))?;
            out.write_char('"')?;
            out.write_str("}")
        })
        .unwrap();
        assert_eq!(text.len(), 4016);
        assert_eq!(text.capacity(), text.len());
        assert!(text.ends_with("QUJD\"}"));
        assert_eq!(render(|_| Ok(())).unwrap().capacity(), 0);
    }

    #[test]
    fn a_renderer_that_writes_more_the_second_time_fails_instead_of_growing() {
        let calls = core::cell::Cell::new(0);
        let grows = |out: &mut dyn Write| {
            calls.set(calls.get() + 1);
            out.write_str(&"x".repeat(10 * calls.get()))
        };
        assert!(render(grows).is_err());
        // And a failing renderer's error is passed on.
        assert!(render(|_| Err(fmt::Error)).is_err());
    }
}
