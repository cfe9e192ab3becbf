//! burrow-connection: the sans-IO SSH-2 connection protocol (RFC 4254): the channel
//! table, window accounting, global requests and channel requests.
//!
//! The entry point is [`Connection`]: feed it connection-layer payloads with
//! `handle_message`, drive it with verbs (`open_channel`, `accept_channel`, `write`, `read`,
//! `eof`, `close`, requests and replies), and drain `poll_event` and `poll_message`.
//!
//! ```
//! use std::borrow::Cow;
//! use burrow_connection::{Connection, ConnectionConfig, Event};
//! use burrow_wire::Side;
//! use burrow_wire::connection::ChannelOpenType;
//! use bytes::{Bytes, BytesMut};
//!
//! // Moves every queued payload from one side to the other.
//! fn pump(from: &mut Connection, to: &mut Connection) {
//!     while let Some(out) = from.poll_message() {
//!         let mut payload = BytesMut::new();
//!         out.encode(&mut payload);
//!         to.handle_message(&payload.freeze()).unwrap();
//!     }
//! }
//!
//! let mut client = Connection::new(Side::Client, ConnectionConfig::default());
//! let mut server = Connection::new(Side::Server, ConnectionConfig::default());
//! let ch = client
//!     .open_channel(ChannelOpenType::DirectTcpip {
//!         host_to_connect: Cow::Borrowed("localhost"),
//!         port_to_connect: 80,
//!         originator_address: Cow::Borrowed("127.0.0.1"),
//!         originator_port: 50000,
//!     })
//!     .unwrap();
//! pump(&mut client, &mut server);
//! let Some(Event::ChannelOpenRequest { channel, .. }) = server.poll_event() else { panic!() };
//! server.accept_channel(channel).unwrap(); // policy: the application decides
//! pump(&mut server, &mut client);
//! assert_eq!(client.poll_event(), Some(Event::ChannelOpened { channel: ch }));
//!
//! let mut data = Bytes::from_static(b"GET / HTTP/1.0\r\n\r\n");
//! client.write(ch, &mut data).unwrap(); // takes what the window allows
//! pump(&mut client, &mut server);
//! assert_eq!(server.poll_event(), Some(Event::Readable { channel }));
//! let got = server.read(channel, 4096).unwrap().unwrap(); // reading grants credit
//! assert_eq!(&got[..], b"GET / HTTP/1.0\r\n\r\n");
//! ```
#![forbid(unsafe_code)]

mod budget;
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
mod reply;
mod request;
mod state;
mod table;
pub mod tune;
mod window;

pub use buffer::{COALESCE_BELOW, MAX_PIN_RATIO, MAX_PINNED, PACKET_FRAMING};
pub use config::{
    ConnectionConfig, DEFAULT_MAX_PACKET, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_MAX_SEND_PACKET,
    DEFAULT_WINDOW_BUDGET, DEFAULT_WINDOW_SIZE, MIN_WINDOW,
};
pub use connection::Connection;
pub use error::Error;
pub use event::Event;
pub use id::{ChannelRequestId, GlobalRequestId, LocalChannelId, RemoteChannelId};
pub use outgoing::{DataClaim, Outgoing, channel_data_header};
pub use state::ChannelState;
pub use table::DEFAULT_MAX_CHANNELS;
pub use window::{ADJUST_DIVISOR, RecvWindow, SendWindow, WindowViolation};
