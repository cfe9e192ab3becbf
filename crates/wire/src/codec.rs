//! Helpers every message decoder shares: the message-number check and bounded wire counts.

use crate::{DecodeError, DecodeErrorKind, Reader};

/// Starts decoding `payload` as message `expected`: reads the number byte and checks it.
pub(crate) fn open<'a>(
    payload: &'a [u8],
    expected: u8,
    what: &'static str,
) -> Result<Reader<'a>, DecodeError> {
    let mut r = Reader::new(payload);
    let found = r.byte(what)?;
    if found != expected {
        return Err(DecodeError::new(
            what,
            DecodeErrorKind::WrongMessage { expected, found },
        ));
    }
    Ok(r)
}

/// The message number of `payload` (its first byte), without consuming anything.
pub(crate) fn number(payload: &[u8], what: &'static str) -> Result<u8, DecodeError> {
    payload.first().copied().ok_or(DecodeError::new(
        what,
        DecodeErrorKind::Truncated { need: 1, have: 0 },
    ))
}

/// The error for a message number the layer `what` does not decode.
pub(crate) fn unknown(what: &'static str, number: u8) -> DecodeError {
    DecodeError::new(what, DecodeErrorKind::UnknownMessage { number })
}

/// Reads a `uint32` count of items that each take at least `min_item_len` bytes on the wire.
/// The count must be at most `limit` and the items must fit in what is left of the input, so a
/// `Vec::with_capacity(count)` never reserves more than the input could fill.
pub(crate) fn count(
    r: &mut Reader<'_>,
    limit: usize,
    min_item_len: usize,
    what: &'static str,
) -> Result<usize, DecodeError> {
    let raw = r.uint32(what)?;
    let n = usize::try_from(raw).unwrap_or(usize::MAX);
    if n > limit {
        return Err(DecodeError::new(
            what,
            DecodeErrorKind::TooLong { len: n, limit },
        ));
    }
    let need = n.saturating_mul(min_item_len);
    if need > r.remaining() {
        return Err(DecodeError::new(
            what,
            DecodeErrorKind::Truncated {
                need,
                have: r.remaining(),
            },
        ));
    }
    Ok(n)
}

/// Writes a collection length as a `uint32`; collections are bounded far below `u32::MAX`
/// (packets are at most 256 KiB), so saturating is never reached in practice.
pub(crate) fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Implements `to_bytes` for a message type that has `encode` (`Name` or `Name<'a>`).
macro_rules! impl_to_bytes {
    ($name:ident $(<$lt:lifetime>)?) => {
        impl $(<$lt>)? $name $(<$lt>)? {
            /// Encodes the message (number byte included) into a new buffer.
            pub fn to_bytes(&self) -> bytes::BytesMut {
                let mut buf = bytes::BytesMut::new();
                self.encode(&mut $crate::Writer::new(&mut buf));
                buf
            }
        }
    };
}
pub(crate) use impl_to_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_over_limit_is_too_long() {
        let mut r = Reader::new(&[0, 0, 1, 0]);
        assert_eq!(
            count(&mut r, 255, 4, "x").unwrap_err().kind,
            DecodeErrorKind::TooLong {
                len: 256,
                limit: 255
            }
        );
    }

    #[test]
    fn count_that_cannot_fit_the_input_is_truncated() {
        let mut r = Reader::new(&[0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            count(&mut r, 100, 4, "x").unwrap_err().kind,
            DecodeErrorKind::Truncated { need: 12, have: 8 }
        );
    }

    #[test]
    fn open_checks_the_message_number() {
        assert_eq!(
            open(&[94], 93, "CHANNEL_WINDOW_ADJUST").unwrap_err().kind,
            DecodeErrorKind::WrongMessage {
                expected: 93,
                found: 94
            }
        );
        assert_eq!(
            open(&[], 93, "CHANNEL_WINDOW_ADJUST").unwrap_err().kind,
            DecodeErrorKind::Truncated { need: 1, have: 0 }
        );
    }
}
