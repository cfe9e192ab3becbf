//! Limits and window defaults for one connection.

use crate::table::DEFAULT_MAX_CHANNELS;

/// The receive window each new channel grants while the budget allows: 2 MiB, as OpenSSH
/// (which never changes it). With times passed to `Connection::set_now` windows grow from the
/// measured round trip (see [`crate::tune`]); until growth is quick end to end, starting lower
/// would make long paths slower than OpenSSH's.
pub const DEFAULT_WINDOW_SIZE: u32 = 2 << 20;

/// The receive windows of all channels of one connection together, by default: 64 MiB.
pub const DEFAULT_WINDOW_BUDGET: u64 = 64 << 20;

/// The window a new channel gets once half the budget is committed: 2 KiB, so that the
/// default budget still holds 16,384 channels (a busy one grows from there).
pub const MIN_WINDOW: u32 = 2 << 10;

/// The maximum data bytes per CHANNEL_DATA we accept: 32 KiB, as OpenSSH.
pub const DEFAULT_MAX_PACKET: u32 = 32 << 10;

/// The most data we put in one CHANNEL_DATA whatever the peer allows: 128 KiB keeps packets
/// well under the 256 KiB transport limit (RFC 4253 §6.1 only promises 35000 bytes, so the
/// peer's own maximum packet size is honoured below this).
pub const DEFAULT_MAX_SEND_PACKET: u32 = 128 << 10;

/// Requests waiting for a reply, per direction, globally and per channel.
pub const DEFAULT_MAX_PENDING_REQUESTS: usize = 64;

/// Limits and defaults for one connection. All of them bound memory a peer can make us hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// Channels live at once (opening, offered, open or closing). Peer opens beyond it get
    /// OPEN_FAILURE `resource shortage`.
    pub max_channels: u32,
    /// Receive window granted to each new channel while at most half the budget is
    /// committed ([`MIN_WINDOW`] after that), and what an idle channel shrinks back to.
    pub window_size: u32,
    /// Bytes all receive windows of the connection may commit together (`size` plus credit
    /// the peer holds beyond it). Growth stops at 3/4 of it, which keeps room for new
    /// channels; a peer's open that would pass it is refused, one of ours fails. One
    /// channel grows to at most half of it.
    pub window_budget: u64,
    /// Maximum data bytes per packet we accept.
    pub max_packet: u32,
    /// Maximum data bytes per packet we send (the peer's maximum is honoured below this).
    pub max_send_packet: u32,
    /// Requests waiting for a reply: the peer's global requests we owe replies to, ours
    /// waiting for the peer, and the same per channel.
    pub max_pending_requests: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            max_channels: DEFAULT_MAX_CHANNELS,
            window_size: DEFAULT_WINDOW_SIZE,
            window_budget: DEFAULT_WINDOW_BUDGET,
            max_packet: DEFAULT_MAX_PACKET,
            max_send_packet: DEFAULT_MAX_SEND_PACKET,
            max_pending_requests: DEFAULT_MAX_PENDING_REQUESTS,
        }
    }
}
