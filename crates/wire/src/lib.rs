//! burrow-wire: everything about SSH-2 bytes on the wire (RFC 4250, RFC 4251 §5) and the typed
//! messages of the transport, userauth and connection layers. No crypto, no I/O.
//!
//! Decoding never panics, never trusts a length from the wire beyond the bytes at hand, and
//! names the field it was reading when it fails. Strings borrow from the input (`Cow::Borrowed`),
//! so decoding does not copy payload data.
#![forbid(unsafe_code)]

mod codec;
pub mod connection;
mod error;
mod field;
mod message;
mod mpint;
pub mod msg;
mod name_list;
mod reader;
pub mod reason;
#[cfg(test)]
mod round_trip_tests;
mod side;
#[cfg(test)]
mod strategy;
pub mod transport;
pub mod userauth;
mod writer;

pub use error::{DecodeError, DecodeErrorKind};
pub use mpint::Mpint;
pub use name_list::NameList;
pub use reader::Reader;
pub use reason::{DisconnectReason, OpenFailureReason};
pub use side::{SessionId, Side};
pub use writer::Writer;
