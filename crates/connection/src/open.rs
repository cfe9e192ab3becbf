//! Opening channels (RFC 4254 §5.1): the peer's CHANNEL_OPEN and its answers, and ours.

use std::borrow::Cow;

use burrow_wire::connection::{
    ChannelClose, ChannelOpen, ChannelOpenConfirmation, ChannelOpenFailure, ChannelOpenType,
    ChannelWindowAdjust, ConnectionMessage,
};
use burrow_wire::{OpenFailureReason, Side, msg};

use crate::channel::Channel;
use crate::connection::Connection;
use crate::error::Error;
use crate::event::Event;
use crate::id::{LocalChannelId, RemoteChannelId};
use crate::state::ChannelState;
use crate::window::{RecvWindow, SendWindow};

/// The refusal of an open that would pass the receive-window budget.
fn budget_text(budget: u64) -> String {
    format!("receive window budget of {budget} bytes is committed")
}

/// Whether `side` serves channels of this type: a server serves sessions and direct
/// forwards, a client serves the forwards it asked for. `Err` carries the refusal.
fn served_by(side: Side, t: &ChannelOpenType<'_>) -> Result<(), (OpenFailureReason, &'static str)> {
    let ok = match t {
        ChannelOpenType::Session
        | ChannelOpenType::DirectTcpip { .. }
        | ChannelOpenType::DirectStreamlocal { .. } => side == Side::Server,
        ChannelOpenType::ForwardedTcpip { .. } | ChannelOpenType::ForwardedStreamlocal { .. } => {
            side == Side::Client
        }
        ChannelOpenType::Unknown { .. } => {
            return Err((
                OpenFailureReason::UnknownChannelType,
                "unknown channel type",
            ));
        }
    };
    match ok {
        true => Ok(()),
        false => Err((
            OpenFailureReason::AdministrativelyProhibited,
            "channel type not served by this side",
        )),
    }
}

impl Connection {
    /// The peer's CHANNEL_OPEN: refused here when no policy could accept it, else offered to
    /// the application as [`Event::ChannelOpenRequest`]. A refusal leaves nothing behind.
    pub(crate) fn on_channel_open(&mut self, m: ChannelOpen<'_>) -> Result<(), Error> {
        let peer = RemoteChannelId(m.sender_channel);
        if let Err((reason, text)) = served_by(self.side(), &m.channel_type) {
            self.send_open_failure(peer, reason, text);
            return Ok(());
        }
        if self.no_more_sessions && m.channel_type == ChannelOpenType::Session {
            let reason = OpenFailureReason::AdministrativelyProhibited;
            self.send_open_failure(peer, reason, "no more sessions");
            return Ok(());
        }
        let Some(window) = self.initial_window() else {
            let text = budget_text(self.config().window_budget);
            self.send_open_failure(peer, OpenFailureReason::ResourceShortage, &text);
            return Ok(());
        };
        let max_send = m.maximum_packet_size.min(self.config().max_send_packet);
        let channel = Channel::new(
            ChannelState::Offered,
            peer,
            SendWindow::new(m.initial_window_size, max_send),
            RecvWindow::new(window, self.config().max_packet),
        );
        match self.channels.insert(channel) {
            Ok(id) => {
                self.recharge(id);
                let channel_type = m.channel_type.into_owned();
                self.push_event(Event::ChannelOpenRequest {
                    channel: id,
                    channel_type,
                });
            }
            Err(_) => {
                let reason = OpenFailureReason::ResourceShortage;
                self.send_open_failure(peer, reason, "too many channels");
            }
        }
        Ok(())
    }

    /// The peer confirmed our open.
    pub(crate) fn on_open_confirmation(
        &mut self,
        m: ChannelOpenConfirmation<'_>,
    ) -> Result<(), Error> {
        let max_send_cap = self.config().max_send_packet;
        let (id, c) = self.peer_channel(m.recipient_channel, msg::CHANNEL_OPEN_CONFIRMATION)?;
        let close_now = c.state.on_confirmation(id)?;
        c.remote = RemoteChannelId(m.sender_channel);
        let max_send = m.maximum_packet_size.min(max_send_cap);
        c.send_window = SendWindow::new(m.initial_window_size, max_send);
        let remote = c.remote;
        let adjust = c.recv_window.take_adjust();
        if close_now {
            self.send(ConnectionMessage::ChannelClose(ChannelClose {
                recipient_channel: remote.0,
            }));
            return Ok(());
        }
        if let Some(add) = adjust {
            self.send_adjust(remote, add);
        }
        self.push_event(Event::ChannelOpened { channel: id });
        Ok(())
    }

    /// The peer refused our open: the id is freed.
    pub(crate) fn on_open_failure(&mut self, m: ChannelOpenFailure<'_>) -> Result<(), Error> {
        let (id, c) = self.peer_channel(m.recipient_channel, msg::CHANNEL_OPEN_FAILURE)?;
        c.state.on_open_failure(id)?;
        let abandoned = c.state == ChannelState::Opening { abandoned: true };
        self.discharge(id);
        self.channels.remove(id);
        if !abandoned {
            self.push_event(Event::ChannelOpenFailed {
                channel: id,
                reason: m.reason_code,
                description: m.description.into_owned(),
            });
        }
        Ok(())
    }

    /// Opens a channel of `channel_type` with the configured window; the answer comes as
    /// [`Event::ChannelOpened`] or [`Event::ChannelOpenFailed`].
    pub fn open_channel(
        &mut self,
        channel_type: ChannelOpenType<'_>,
    ) -> Result<LocalChannelId, Error> {
        let budget = self.config().window_budget;
        let size = self
            .initial_window()
            .ok_or(Error::WindowBudgetExhausted { budget })?;
        let max_packet = self.config().max_packet;
        let channel = Channel::new(
            ChannelState::Opening { abandoned: false },
            RemoteChannelId(0),
            SendWindow::new(0, 0),
            RecvWindow::new(size, max_packet),
        );
        let id = self
            .channels
            .insert(channel)
            .map_err(|full| Error::TooManyChannels { limit: full.limit })?;
        self.recharge(id);
        self.send(ConnectionMessage::ChannelOpen(ChannelOpen {
            sender_channel: id.0,
            initial_window_size: size,
            maximum_packet_size: max_packet,
            channel_type,
        }));
        Ok(id)
    }

    /// Accepts a channel the peer asked for ([`Event::ChannelOpenRequest`]).
    pub fn accept_channel(&mut self, id: LocalChannelId) -> Result<(), Error> {
        let c = self.local_channel(id)?;
        c.state.accept(id)?;
        let confirmation = ChannelOpenConfirmation {
            recipient_channel: c.remote.0,
            sender_channel: id.0,
            initial_window_size: c.recv_window.granted(),
            maximum_packet_size: c.recv_window.max_packet(),
            data: Cow::Borrowed(&[]),
        };
        self.send(ConnectionMessage::ChannelOpenConfirmation(confirmation));
        Ok(())
    }

    /// Refuses a channel the peer asked for; the id is freed at once.
    pub fn reject_channel(
        &mut self,
        id: LocalChannelId,
        reason: OpenFailureReason,
        description: &str,
    ) -> Result<(), Error> {
        let c = self.local_channel(id)?;
        c.state.reject(id)?;
        let remote = c.remote;
        self.discharge(id);
        self.channels.remove(id);
        self.send_open_failure(remote, reason, description);
        Ok(())
    }

    fn send_open_failure(&mut self, to: RemoteChannelId, reason: OpenFailureReason, text: &str) {
        self.send(ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            recipient_channel: to.0,
            reason_code: reason,
            description: Cow::Borrowed(text),
            language_tag: Cow::Borrowed(""),
        }));
    }

    pub(crate) fn send_adjust(&mut self, to: RemoteChannelId, add: u32) {
        self.send(ConnectionMessage::ChannelWindowAdjust(
            ChannelWindowAdjust {
                recipient_channel: to.0,
                bytes_to_add: add,
            },
        ));
    }
}
