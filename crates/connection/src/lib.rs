//! burrow-connection: the sans-IO SSH-2 connection protocol (RFC 4254): the channel
//! table, window accounting, global requests and channel requests.
//!
//! The entry point is [`Connection`]: feed it connection-layer payloads with
//! `handle_message`, drive it with verbs (`open_channel`, `accept_channel`, `write`, `read`,
//! `eof`, `close`, requests and replies), and drain `poll_event` and `poll_message`.
#![forbid(unsafe_code)]

mod buffer;
mod channel;
mod config;
mod connection;
mod data;
mod error;
mod event;
mod global;
mod id;
mod open;
mod outgoing;
mod owned;
mod reply;
mod request;
pub mod state;
pub mod table;
pub mod window;

pub use buffer::COALESCE_BELOW;
pub use config::{
    ConnectionConfig, DEFAULT_MAX_PACKET, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_MAX_SEND_PACKET,
    DEFAULT_WINDOW_SIZE,
};
pub use connection::Connection;
pub use error::Error;
pub use event::Event;
pub use id::{ChannelRequestId, GlobalRequestId, LocalChannelId, RemoteChannelId};
pub use outgoing::Outgoing;
pub use state::ChannelState;
pub use table::{ChannelTable, DEFAULT_MAX_CHANNELS};
pub use window::{ADJUST_DIVISOR, RecvWindow, SendWindow, WindowViolation};
