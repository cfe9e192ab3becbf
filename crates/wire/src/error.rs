//! The error every decoder returns: which field was being read, and what was wrong with it.

use core::fmt;

/// A decoding failure, naming the field being read (`"CHANNEL_OPEN.maximum_packet_size"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The field (or message) that was being decoded.
    pub what: &'static str,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What went wrong while decoding a field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended: `need` bytes were required, `have` were left.
    Truncated {
        /// Bytes the field needs.
        need: usize,
        /// Bytes that were left.
        have: usize,
    },
    /// Bytes were left over after a complete message.
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// A string that must be UTF-8 is not.
    InvalidUtf8,
    /// A name-list holds a non-ASCII or control byte.
    NonAsciiName,
    /// A name-list holds an empty name (`"a,,b"`, a leading or a trailing comma).
    EmptyName,
    /// A name inside a name-list is longer than 64 bytes (RFC 4251 §6).
    NameTooLong {
        /// The name's length.
        len: usize,
    },
    /// An mpint has a needless leading 0x00 or 0xff byte (RFC 4251 §5).
    NonMinimalMpint,
    /// The message number is not one this layer decodes.
    UnknownMessage {
        /// The message number.
        number: u8,
    },
    /// The message number belongs to another message than the one asked for.
    WrongMessage {
        /// The number that was expected.
        expected: u8,
        /// The number found.
        found: u8,
    },
    /// A length or count from the wire is over the limit for this field.
    TooLong {
        /// The value found.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A value is outside the set this field allows.
    InvalidValue,
}

impl DecodeError {
    /// Builds an error for field `what`.
    pub fn new(what: &'static str, kind: DecodeErrorKind) -> Self {
        Self { what, kind }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.what;
        match &self.kind {
            DecodeErrorKind::Truncated { need, have } => {
                write!(f, "{what}: truncated, need {need} bytes, have {have}")
            }
            DecodeErrorKind::TrailingBytes { count } => {
                write!(f, "{what}: {count} bytes left over after the message")
            }
            DecodeErrorKind::InvalidUtf8 => write!(f, "{what}: not valid UTF-8"),
            DecodeErrorKind::NonAsciiName => {
                write!(f, "{what}: name-list holds a non-ASCII or control byte")
            }
            DecodeErrorKind::EmptyName => write!(f, "{what}: name-list holds an empty name"),
            DecodeErrorKind::NameTooLong { len } => {
                write!(f, "{what}: name of {len} bytes is over the 64-byte limit")
            }
            DecodeErrorKind::NonMinimalMpint => {
                write!(f, "{what}: mpint has a needless leading byte")
            }
            DecodeErrorKind::UnknownMessage { number } => {
                write!(f, "{what}: unknown message number {number}")
            }
            DecodeErrorKind::WrongMessage { expected, found } => {
                write!(f, "{what}: expected message {expected}, found {found}")
            }
            DecodeErrorKind::TooLong { len, limit } => {
                write!(f, "{what}: length {len} is over the limit of {limit}")
            }
            DecodeErrorKind::InvalidValue => write!(f, "{what}: value not allowed here"),
        }
    }
}

impl std::error::Error for DecodeError {}
