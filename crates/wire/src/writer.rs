//! `Writer`: appends RFC 4251 §5 data types to a `BytesMut`.

use bytes::{BufMut, BytesMut};

use crate::{Mpint, NameList};

/// Appends SSH data types to a growable buffer. Writing never fails; lengths over `u32::MAX`
/// cannot be produced because every caller's data is bounded far below that (packets are at
/// most 256 KiB), and such a string is clamped to an empty one rather than mis-framed.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut BytesMut,
}

impl<'b> Writer<'b> {
    /// Appends to `buf`.
    pub fn new(buf: &'b mut BytesMut) -> Self {
        Self { buf }
    }

    /// The bytes written so far (the whole buffer, including what it held before).
    pub fn buffer(&self) -> &[u8] {
        self.buf
    }

    /// `byte`.
    pub fn byte(&mut self, v: u8) -> &mut Self {
        self.buf.put_u8(v);
        self
    }

    /// `boolean`, written as 0 or 1.
    pub fn boolean(&mut self, v: bool) -> &mut Self {
        self.byte(u8::from(v))
    }

    /// `uint32`, big-endian.
    pub fn uint32(&mut self, v: u32) -> &mut Self {
        self.buf.put_u32(v);
        self
    }

    /// `uint64`, big-endian.
    pub fn uint64(&mut self, v: u64) -> &mut Self {
        self.buf.put_u64(v);
        self
    }

    /// Raw bytes with no length prefix.
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.put_slice(v);
        self
    }

    /// `string`: uint32 length, then the bytes.
    pub fn string(&mut self, v: &[u8]) -> &mut Self {
        let (len, v) = match u32::try_from(v.len()) {
            Ok(len) => (len, v),
            Err(_) => (0, &[][..]),
        };
        self.uint32(len);
        self.raw(v)
    }

    /// `string` holding UTF-8 text.
    pub fn utf8(&mut self, v: &str) -> &mut Self {
        self.string(v.as_bytes())
    }

    /// `name-list`.
    pub fn name_list(&mut self, v: &NameList<'_>) -> &mut Self {
        self.utf8(v.as_str())
    }

    /// `mpint`.
    pub fn mpint(&mut self, v: &Mpint<'_>) -> &mut Self {
        self.string(v.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
        let mut buf = BytesMut::new();
        f(&mut Writer::new(&mut buf));
        buf.to_vec()
    }

    #[test]
    fn uint32_rfc_example() {
        assert_eq!(
            written(|w| {
                w.uint32(699_921_578);
            }),
            [0x29, 0xb7, 0xf4, 0xaa]
        );
    }

    #[test]
    fn string_rfc_example() {
        assert_eq!(
            written(|w| {
                w.string(b"testing");
            }),
            b"\x00\x00\x00\x07testing"
        );
    }

    #[test]
    fn boolean_is_zero_or_one() {
        assert_eq!(
            written(|w| {
                w.boolean(true).boolean(false);
            }),
            [1, 0]
        );
    }

    #[test]
    fn uint64_big_endian() {
        assert_eq!(
            written(|w| {
                w.uint64(0x0102_0304_0506_0708);
            }),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
    }
}
