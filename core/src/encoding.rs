//! Checked big-endian readers and writers over byte slices.
//!
//! Every parser in the crate goes through these so that no length or index taken from
//! input can panic: each call either succeeds or reports that the input ran out.

/// The input ended early, had bytes left over, or the output buffer was too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated;

/// Reads fields front to back from a borrowed slice.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Truncated> {
        if n > self.rest.len() {
            return Err(Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Truncated> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Truncated> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Truncated> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Truncated> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Succeeds only if every byte was consumed: trailing garbage is an error, not ignored.
    pub(crate) fn finish(self) -> Result<(), Truncated> {
        if self.rest.is_empty() { Ok(()) } else { Err(Truncated) }
    }
}

/// Writes fields front to back into a caller buffer.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), Truncated> {
        let end = self.len.checked_add(bytes.len()).ok_or(Truncated)?;
        self.buf.get_mut(self.len..end).ok_or(Truncated)?.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    pub(crate) fn u8(&mut self, v: u8) -> Result<(), Truncated> {
        self.put(&[v])
    }

    pub(crate) fn u16(&mut self, v: u16) -> Result<(), Truncated> {
        self.put(&v.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, v: u32) -> Result<(), Truncated> {
        self.put(&v.to_be_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> Result<(), Truncated> {
        self.put(&v.to_be_bytes())
    }

    /// A length prefix of two bytes followed by the bytes.
    pub(crate) fn u16_prefixed(&mut self, bytes: &[u8]) -> Result<(), Truncated> {
        let len = u16::try_from(bytes.len()).map_err(|_| Truncated)?;
        self.u16(len)?;
        self.put(bytes)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The next `n` bytes of the buffer, for a caller to fill in place; counted as written.
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&mut [u8], Truncated> {
        let end = self.len.checked_add(n).ok_or(Truncated)?;
        let start = self.len;
        let out = self.buf.get_mut(start..end).ok_or(Truncated)?;
        self.len = end;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_refuses_reads_past_the_end() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.u16(), Err(Truncated));
        assert_eq!(r.u8(), Ok(3));
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn reader_finish_refuses_trailing_bytes() {
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.finish(), Err(Truncated));
    }

    #[test]
    fn writer_refuses_overflow_and_keeps_length() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.u16(0xabcd), Ok(()));
        assert_eq!(w.u16(1), Err(Truncated));
        assert_eq!(w.len(), 2);
        assert_eq!(w.u8(7), Ok(()));
        assert_eq!(buf, [0xab, 0xcd, 7]);
    }
}
