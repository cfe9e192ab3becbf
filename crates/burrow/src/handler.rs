//! The application's answers to what the peer asks for: channel opens and global requests
//! (policy lives in the caller, e.g. burrow-forward).

use crate::incoming::{IncomingChannel, IncomingGlobalRequest};

/// Answers the peer's channel opens and global requests. Methods are called on the
/// connection's task without any lock held and must not block: spawn a task for slow work
/// (connecting to a target) and answer from there.
pub trait Handler: Send + Sync + 'static {
    /// The peer wants to open a channel. Dropping `channel` refuses it.
    fn channel_open(&self, channel: IncomingChannel) {
        drop(channel);
    }

    /// The peer sent a global request. Dropping `request` refuses it.
    fn global_request(&self, request: IncomingGlobalRequest) {
        drop(request);
    }
}

/// A handler that refuses everything (the client default: no remote forwards).
#[derive(Debug, Clone, Copy, Default)]
pub struct RejectAll;

impl Handler for RejectAll {}
