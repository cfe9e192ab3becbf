//! Routing of connection-layer events to channel handles, waiters and the handler queue.

use burrow_connection::{ChannelRequestId, Connection, Event, LocalChannelId};
use burrow_wire::connection::ChannelRequestKind;

use crate::core::{GlobalReply, Incoming, SessionCore};
use crate::error::ErrorKind;
use crate::slot::{ExitInfo, Slot};

impl SessionCore {
    /// Routes connection events to handles, waiters and the handler queue.
    pub(crate) fn process_connection_events(&mut self) {
        loop {
            let Some(event) = self.conn.as_mut().and_then(Connection::poll_event) else {
                return;
            };
            self.on_connection_event(event);
        }
    }

    fn on_connection_event(&mut self, event: Event) {
        match event {
            Event::ChannelOpenRequest {
                channel,
                channel_type,
            } => self
                .incoming
                .push_back(Incoming::Channel(channel, channel_type)),
            Event::ChannelOpened { channel } => self.on_opened(channel),
            Event::ChannelOpenFailed {
                channel,
                reason,
                description,
            } => {
                let err = self.error(ErrorKind::ChannelOpenFailed {
                    reason,
                    description,
                });
                let waiter = self.opens.remove(&channel);
                if waiter.is_some_and(|tx| tx.send(Err(err)).is_err()) {
                    tracing::trace!(channel = channel.0, "open failure after its opener left");
                }
            }
            Event::Readable { channel } | Event::Eof { channel } => {
                if let Some(s) = self.slots.get_mut(&channel) {
                    s.wake_read();
                }
            }
            Event::Writable { channel } => {
                if let Some(s) = self.slots.get_mut(&channel) {
                    s.wake_write();
                }
            }
            Event::ExtendedData { channel, data, .. } => {
                if let Some(s) = self.slots.get_mut(&channel) {
                    s.push_stderr(&data);
                }
            }
            Event::PeerClosed { channel } => {
                if let Some(s) = self.slots.get_mut(&channel) {
                    s.peer_closed = true;
                    s.wake_all();
                }
                self.chan_requests.retain(|(c, _), _| *c != channel);
            }
            Event::ChannelRequest {
                channel,
                id,
                want_reply,
                request,
            } => self.on_channel_request(channel, id, want_reply, request),
            Event::ChannelRequestReply {
                channel,
                id,
                accepted,
            } => {
                let waiter = self.chan_requests.remove(&(channel, id));
                if waiter.is_some_and(|tx| tx.send(accepted).is_err()) {
                    tracing::trace!(
                        channel = channel.0,
                        "channel request reply after its waiter left"
                    );
                }
            }
            Event::GlobalRequest {
                id,
                want_reply,
                request,
            } => self
                .incoming
                .push_back(Incoming::Global(id, want_reply, request)),
            Event::GlobalRequestReply {
                id,
                accepted,
                bound_port,
            } => {
                let reply = GlobalReply {
                    accepted,
                    bound_port,
                };
                self.counting.global_answered(id, crate::driver::now());
                let waiter = self.globals.remove(&id);
                if waiter.is_some_and(|tx| tx.send(reply).is_err()) {
                    tracing::trace!("global request reply after its waiter left");
                }
            }
            _ => {}
        }
    }

    fn on_opened(&mut self, channel: LocalChannelId) {
        self.slots.insert(channel, Slot::default());
        let delivered = match self.opens.remove(&channel) {
            Some(tx) => tx.send(Ok(())).is_ok(),
            None => false,
        };
        if !delivered {
            // The opener stopped waiting: nobody will ever use this channel.
            self.release_channel(channel);
        }
    }

    fn on_channel_request(
        &mut self,
        channel: LocalChannelId,
        id: ChannelRequestId,
        want_reply: bool,
        request: ChannelRequestKind<'static>,
    ) {
        let accepted = match (&request, self.slots.get_mut(&channel)) {
            (ChannelRequestKind::ExitStatus { exit_status }, Some(s)) => {
                s.set_exit(ExitInfo::Status(*exit_status));
                true
            }
            (ChannelRequestKind::ExitSignal { signal_name, .. }, Some(s)) => {
                s.set_exit(ExitInfo::Signal(signal_name.to_string()));
                true
            }
            _ => false,
        };
        if want_reply {
            if let Some(conn) = self.conn.as_mut() {
                if let Err(e) = conn.reply_channel_request(channel, id, accepted) {
                    tracing::debug!(error = %e, "channel request reply not sent");
                }
            }
        }
    }
}
