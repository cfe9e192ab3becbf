//! burrow-connection: the sans-IO SSH-2 connection protocol (RFC 4254): the channel
//! table, window accounting, global requests and channel requests.
#![forbid(unsafe_code)]

mod error;
mod id;
pub mod state;
pub mod table;
pub mod window;

pub use error::Error;
pub use id::{ChannelRequestId, GlobalRequestId, LocalChannelId, RemoteChannelId};
pub use state::ChannelState;
pub use table::{ChannelTable, DEFAULT_MAX_CHANNELS};
pub use window::{ADJUST_DIVISOR, RecvWindow, SendWindow, WindowViolation};
