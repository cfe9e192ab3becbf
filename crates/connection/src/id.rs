//! Channel ids named by owner: ours (`LocalChannelId`) and the peer's (`RemoteChannelId`).

use core::fmt;

/// A channel number we allocated; the peer uses it as `recipient_channel` in messages to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalChannelId(pub u32);

/// A channel number the peer allocated; we use it as `recipient_channel` in messages to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemoteChannelId(pub u32);

impl fmt::Display for LocalChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for RemoteChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Names one global request (ours or the peer's) for matching its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalRequestId(pub u64);

/// Names one channel request (ours or the peer's) for matching its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelRequestId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_as_plain_numbers() {
        assert_eq!(LocalChannelId(7).to_string(), "7");
        assert_eq!(RemoteChannelId(42).to_string(), "42");
    }
}
