//! Limits and window defaults for one connection.

use crate::table::DEFAULT_MAX_CHANNELS;

/// The receive window each new channel grants: 2 MiB, as OpenSSH (CHAN_TCP_WINDOW_DEFAULT).
/// A later issue sizes windows from the measured bandwidth-delay product via
/// `Connection::set_recv_window`.
pub const DEFAULT_WINDOW_SIZE: u32 = 2 << 20;

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
    /// Receive window granted to each new channel.
    pub window_size: u32,
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
            max_packet: DEFAULT_MAX_PACKET,
            max_send_packet: DEFAULT_MAX_SEND_PACKET,
            max_pending_requests: DEFAULT_MAX_PENDING_REQUESTS,
        }
    }
}
