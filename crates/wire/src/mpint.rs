//! `mpint` (RFC 4251 §5): two's complement, big-endian, minimal length.

use std::borrow::Cow;

use crate::{DecodeError, DecodeErrorKind};

/// A multiple-precision integer kept in its wire form (two's complement, big-endian, no
/// needless leading 0x00 or 0xff byte; zero is the empty string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Mpint<'a> {
    raw: Cow<'a, [u8]>,
}

impl<'a> Mpint<'a> {
    /// Validates wire bytes as a minimal mpint.
    pub fn parse(raw: &'a [u8], what: &'static str) -> Result<Self, DecodeError> {
        if !is_minimal(raw) {
            return Err(DecodeError::new(what, DecodeErrorKind::NonMinimalMpint));
        }
        Ok(Self {
            raw: Cow::Borrowed(raw),
        })
    }

    /// The mpint for a non-negative integer given as unsigned big-endian bytes (leading zeros
    /// allowed): zeros are stripped and a 0x00 is prepended when the top bit is set. This is how
    /// the shared secret K enters the exchange hash (RFC 4253 §8, RFC 8731 §3).
    pub fn from_unsigned_be(magnitude: &[u8]) -> Mpint<'static> {
        let first = magnitude.iter().position(|&b| b != 0);
        let digits = match first {
            Some(i) => magnitude.get(i..).unwrap_or_default(),
            None => &[],
        };
        let mut raw = Vec::with_capacity(digits.len().saturating_add(1));
        if digits.first().is_some_and(|&b| b & 0x80 != 0) {
            raw.push(0);
        }
        raw.extend_from_slice(digits);
        Mpint {
            raw: Cow::Owned(raw),
        }
    }

    /// The wire bytes (without the length prefix).
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// True for negative values.
    pub fn is_negative(&self) -> bool {
        self.raw.first().is_some_and(|&b| b & 0x80 != 0)
    }

    /// For a non-negative value, its unsigned big-endian magnitude (no leading zero);
    /// `None` for negative values.
    pub fn unsigned_be(&self) -> Option<&[u8]> {
        if self.is_negative() {
            return None;
        }
        match self.raw.first() {
            Some(0) => self.raw.get(1..),
            _ => Some(&self.raw),
        }
    }

    /// A copy that owns its bytes.
    pub fn into_owned(self) -> Mpint<'static> {
        Mpint {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

/// An mpint is minimal when its first byte is not a sign extension of the second.
fn is_minimal(raw: &[u8]) -> bool {
    match raw {
        [] => true,
        [0x00, next, ..] => next & 0x80 != 0,
        [0xff, next, ..] => next & 0x80 == 0,
        [0x00] => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reader, Writer};
    use bytes::BytesMut;

    // RFC 4251 §5, the mpint examples, value and wire bytes (length prefix included).
    const RFC_EXAMPLES: [&[u8]; 5] = [
        b"\x00\x00\x00\x00",                                 // 0
        b"\x00\x00\x00\x08\x09\xa3\x78\xf9\xb2\xe3\x32\xa7", // 9a378f9b2e332a7
        b"\x00\x00\x00\x02\x00\x80",                         // 80
        b"\x00\x00\x00\x02\xed\xcc",                         // -1234
        b"\x00\x00\x00\x05\xff\x21\x52\x41\x11",             // -deadbeef
    ];

    #[test]
    fn rfc_examples_round_trip() {
        for bytes in RFC_EXAMPLES {
            let m = Reader::new(bytes).mpint("m").unwrap();
            let mut buf = BytesMut::new();
            Writer::new(&mut buf).mpint(&m);
            assert_eq!(&buf[..], bytes);
        }
    }

    #[test]
    fn rfc_examples_signs() {
        let signs: Vec<bool> = RFC_EXAMPLES
            .iter()
            .map(|b| Reader::new(b).mpint("m").unwrap().is_negative())
            .collect();
        assert_eq!(signs, [false, false, false, true, true]);
    }

    #[test]
    fn from_unsigned_adds_zero_for_high_bit() {
        assert_eq!(Mpint::from_unsigned_be(&[0x80]).as_bytes(), [0x00, 0x80]);
        assert_eq!(
            Mpint::from_unsigned_be(&[0x00, 0x00, 0x09, 0xa3]).as_bytes(),
            [0x09, 0xa3]
        );
        assert_eq!(Mpint::from_unsigned_be(&[0, 0]).as_bytes(), [] as [u8; 0]);
        assert_eq!(
            Mpint::from_unsigned_be(&[0xde, 0xad]).unsigned_be(),
            Some(&[0xde, 0xad][..])
        );
    }

    #[test]
    fn non_minimal_is_rejected() {
        for bad in [
            &[0x00][..],
            &[0x00, 0x7f],
            &[0xff, 0x80],
            &[0x00, 0x00, 0x80],
        ] {
            assert_eq!(
                Mpint::parse(bad, "m").unwrap_err().kind,
                DecodeErrorKind::NonMinimalMpint,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn negative_has_no_unsigned_form() {
        assert_eq!(
            Mpint::parse(&[0xed, 0xcc], "m").unwrap().unsigned_be(),
            None
        );
    }
}
