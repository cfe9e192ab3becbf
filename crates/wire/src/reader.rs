//! `Reader`: bounds-checked reads of RFC 4251 §5 data types from a byte slice.

use std::borrow::Cow;

use crate::{DecodeError, DecodeErrorKind, Mpint, NameList};

/// A cursor over an input slice. Every read checks the bounds first and names its field in the
/// error; strings are returned as sub-slices of the input, never copied.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads exactly `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::new(
                what,
                DecodeErrorKind::Truncated {
                    need: n,
                    have: self.rest.len(),
                },
            ));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Everything left, consuming it.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// `byte`.
    pub fn byte(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    /// `boolean`: any non-zero byte is true (RFC 4251 §5).
    pub fn boolean(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        Ok(self.byte(what)? != 0)
    }

    /// `uint32`, big-endian.
    pub fn uint32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// `uint64`, big-endian.
    pub fn uint64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// `string`: a uint32 length and that many bytes, borrowed from the input.
    pub fn string(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.uint32(what)?;
        let len = usize::try_from(len).map_err(|_| {
            DecodeError::new(
                what,
                DecodeErrorKind::Truncated {
                    need: usize::MAX,
                    have: self.rest.len(),
                },
            )
        })?;
        self.take(len, what)
    }

    /// `string` as a borrowed `Cow`, the form the message structs hold.
    pub fn bytes(&mut self, what: &'static str) -> Result<Cow<'a, [u8]>, DecodeError> {
        self.string(what).map(Cow::Borrowed)
    }

    /// `string` that must be UTF-8 (ISO-10646 UTF-8 in RFC terms).
    pub fn utf8(&mut self, what: &'static str) -> Result<Cow<'a, str>, DecodeError> {
        let raw = self.string(what)?;
        core::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::new(what, DecodeErrorKind::InvalidUtf8))
    }

    /// `name-list`: comma-separated ASCII names, none empty.
    pub fn name_list(&mut self, what: &'static str) -> Result<NameList<'a>, DecodeError> {
        let raw = self.string(what)?;
        NameList::parse(raw, what)
    }

    /// `mpint`: two's complement, big-endian, minimal length.
    pub fn mpint(&mut self, what: &'static str) -> Result<Mpint<'a>, DecodeError> {
        let raw = self.string(what)?;
        Mpint::parse(raw, what)
    }

    /// Succeeds only when every byte has been read; `what` names the message.
    pub fn finish(self, what: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::new(
                what,
                DecodeErrorKind::TrailingBytes {
                    count: self.rest.len(),
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint32_reads_big_endian() {
        // RFC 4251 §5: the value 699921578 (0x29b7f4aa) is stored as 29 b7 f4 aa.
        let mut r = Reader::new(&[0x29, 0xb7, 0xf4, 0xaa]);
        assert_eq!(r.uint32("v").unwrap(), 699_921_578);
        assert!(r.is_empty());
    }

    #[test]
    fn uint64_reads_big_endian() {
        let mut r = Reader::new(&[0, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!(r.uint64("v").unwrap(), (1u64 << 32) | 2);
    }

    #[test]
    fn string_testing_example_from_rfc() {
        // RFC 4251 §5: "testing" is 00 00 00 07 t e s t i n g.
        let mut r = Reader::new(b"\x00\x00\x00\x07testing");
        assert_eq!(r.string("s").unwrap(), b"testing");
        assert!(r.finish("m").is_ok());
    }

    #[test]
    fn string_with_huge_length_is_truncated_not_allocated() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, b'a']);
        let err = r.string("KEXINIT.cookie").unwrap_err();
        assert_eq!(err.what, "KEXINIT.cookie");
        assert_eq!(
            err.kind,
            DecodeErrorKind::Truncated {
                need: 0xffff_ffff,
                have: 1
            }
        );
    }

    #[test]
    fn truncated_uint32_names_field() {
        let mut r = Reader::new(&[1, 2]);
        let err = r.uint32("CHANNEL_DATA.recipient_channel").unwrap_err();
        assert_eq!(
            err.to_string(),
            "CHANNEL_DATA.recipient_channel: truncated, need 4 bytes, have 2"
        );
    }

    #[test]
    fn boolean_nonzero_is_true() {
        let mut r = Reader::new(&[0, 1, 7]);
        assert!(!r.boolean("b").unwrap());
        assert!(r.boolean("b").unwrap());
        assert!(r.boolean("b").unwrap());
    }

    #[test]
    fn trailing_bytes_are_reported() {
        let mut r = Reader::new(&[1, 2, 3]);
        r.byte("b").unwrap();
        assert_eq!(
            r.finish("IGNORE").unwrap_err().kind,
            DecodeErrorKind::TrailingBytes { count: 2 }
        );
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let mut r = Reader::new(b"\x00\x00\x00\x02\xc3\x28");
        assert_eq!(
            r.utf8("DISCONNECT.description").unwrap_err().kind,
            DecodeErrorKind::InvalidUtf8
        );
    }
}
