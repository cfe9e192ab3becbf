//! Data flow on open channels (RFC 4254 §5.2-5.3): DATA, WINDOW_ADJUST, EOF and CLOSE, both
//! from the peer and from the application.

use burrow_wire::connection::{ChannelClose, ChannelEof, ChannelWindowAdjust, ConnectionMessage};
use burrow_wire::msg;
use bytes::Bytes;

use crate::buffer::over_pin_ratio;
use crate::channel::Channel;
use crate::connection::Connection;
use crate::error::Error;
use crate::event::Event;
use crate::id::LocalChannelId;
use crate::outgoing::{DataClaim, Outgoing};
use crate::state::{ChannelState, DataFate, LocalCloseAction, PeerCloseFate};
use crate::table::ChannelTable;
use crate::window::{RecvWindow, WindowViolation};

impl Connection {
    /// The peer's WINDOW_ADJUST. Applied even after our CLOSE (it may have crossed it), so
    /// an overflow is caught either way. [`Event::Writable`] only when the window was empty:
    /// otherwise the last `write` took everything it was given and nobody waits.
    pub(crate) fn on_window_adjust(&mut self, m: ChannelWindowAdjust) -> Result<(), Error> {
        let (id, c) = self.peer_channel(m.recipient_channel, msg::CHANNEL_WINDOW_ADJUST)?;
        c.state.check_peer_message(id, msg::CHANNEL_WINDOW_ADJUST)?;
        let was_blocked = c.send_window.remaining() == 0;
        c.send_window
            .on_adjust(m.bytes_to_add)
            .map_err(|v| Error::from_window(id, v))?;
        if was_blocked && c.state.can_send_data() && m.bytes_to_add > 0 {
            self.push_event(Event::Writable { channel: id });
        }
        Ok(())
    }

    /// The peer's DATA (`ext` is `None`) or EXTENDED_DATA. Checked against the state, the
    /// maximum packet size and the window before anything is kept. `allocation` is the size
    /// of the allocation `data` shares (see [`crate::buffer::RecvBuffer::push`]).
    pub(crate) fn on_data(
        &mut self,
        channel: u32,
        ext: Option<u32>,
        data: Bytes,
        allocation: usize,
    ) -> Result<(), Error> {
        let message = match ext {
            None => msg::CHANNEL_DATA,
            Some(_) => msg::CHANNEL_EXTENDED_DATA,
        };
        let (id, c) = self.peer_channel(channel, message)?;
        let fate = c.state.on_peer_data(id, message)?;
        let len = u32::try_from(data.len()).map_err(|_| {
            let max = c.recv_window.max_packet();
            Error::from_window(id, WindowViolation::PacketTooLarge { len: u32::MAX, max })
        })?;
        c.recv_window
            .on_data(len)
            .map_err(|v| Error::from_window(id, v))?;
        if fate == DataFate::Discard || len == 0 {
            c.recv_window.on_discarded(len);
            self.recharge(id);
            return Ok(());
        }
        self.tune_on_data(id, len);
        let Some(c) = self.channels.get_mut(id) else {
            return Ok(());
        };
        match ext {
            None => {
                let was_empty = c.buffer.is_empty();
                c.buffer.push(data, allocation);
                if was_empty {
                    self.push_event(Event::Readable { channel: id });
                }
            }
            Some(data_type_code) => {
                c.ext_pending = c.ext_pending.saturating_add(len);
                let data = if over_pin_ratio(data.len(), allocation) {
                    Bytes::copy_from_slice(&data)
                } else {
                    data
                };
                self.push_event(Event::ExtendedData {
                    channel: id,
                    data_type_code,
                    data,
                });
            }
        }
        Ok(())
    }

    /// The peer's EOF.
    pub(crate) fn on_eof(&mut self, channel: u32) -> Result<(), Error> {
        let (id, c) = self.peer_channel(channel, msg::CHANNEL_EOF)?;
        c.state.on_peer_eof(id)?;
        if c.state.can_send_messages() {
            self.push_event(Event::Eof { channel: id });
        }
        Ok(())
    }

    /// The peer's CLOSE: frees the id if ours went already; otherwise the channel waits for
    /// the application's `close`. Replies we owed on it are dropped (it is closed).
    pub(crate) fn on_close(&mut self, channel: u32) -> Result<(), Error> {
        let (id, c) = self.peer_channel(channel, msg::CHANNEL_CLOSE)?;
        match c.state.on_peer_close(id)? {
            PeerCloseFate::Keep => {
                c.requests = None;
            }
            PeerCloseFate::Free => self.free_channel(id),
        }
        self.push_event(Event::PeerClosed { channel: id });
        Ok(())
    }

    /// Returns the credit of an `ExtendedData` event the application has taken.
    pub(crate) fn credit_extended(&mut self, id: LocalChannelId, len: usize) {
        let Some(c) = self.channels.get_mut(id) else {
            return;
        };
        let n = u32::try_from(len).unwrap_or(u32::MAX).min(c.ext_pending);
        c.ext_pending -= n;
        c.recv_window.on_consumed(n);
        self.consumed(id, n);
    }

    /// After the application consumed `n` bytes of `id`: sizes the window, then grants credit.
    fn consumed(&mut self, id: LocalChannelId, n: u32) {
        self.tune_on_consumed(id, n);
        self.recharge(id);
        self.grant_credit(id);
    }

    /// Sends a WINDOW_ADJUST if enough credit is owed and the channel may still get one.
    fn grant_credit(&mut self, id: LocalChannelId) {
        let Some(c) = self.channels.get_mut(id) else {
            return;
        };
        if !c.state.can_send_messages() {
            return;
        }
        let (remote, granted) = (c.remote, c.recv_window.granted());
        if let Some(add) = c.recv_window.take_adjust() {
            self.tune_on_adjust(id, granted);
            self.send_adjust(remote, add);
        }
    }

    /// Queues as much of `data` as the send window allows, split into packets of at most the
    /// peer's maximum packet size, and advances `data` past what was taken (no copy). Returns
    /// the bytes taken; 0 means wait for [`Event::Writable`].
    pub fn write(&mut self, id: LocalChannelId, data: &mut Bytes) -> Result<usize, Error> {
        let c = writable(&mut self.channels, id)?;
        let recipient = c.remote;
        let mut taken = 0usize;
        while !data.is_empty() {
            let want = u32::try_from(data.len()).unwrap_or(u32::MAX);
            let n = c.send_window.take(want) as usize;
            if n == 0 {
                break;
            }
            let packet = data.split_to(n.min(data.len()));
            self.out.push_back(Outgoing::Data {
                recipient,
                data: packet,
            });
            taken = taken.saturating_add(n);
        }
        Ok(taken)
    }

    /// For a caller that seals channel data itself, straight from the application's buffer
    /// (no copy and no allocation here): takes send window for one CHANNEL_DATA of up to
    /// `want` bytes (and at most the peer's maximum packet size) and returns its header and
    /// length. The caller must send exactly that packet before any later `poll_message`
    /// output. `None` when the window is empty or payloads are still queued (they must go
    /// first; `write` queues behind them).
    pub fn claim_data(
        &mut self,
        id: LocalChannelId,
        want: usize,
    ) -> Result<Option<DataClaim>, Error> {
        let queued = !self.out.is_empty();
        let c = writable(&mut self.channels, id)?;
        if queued || want == 0 {
            return Ok(None);
        }
        let n = c.send_window.take(u32::try_from(want).unwrap_or(u32::MAX));
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(DataClaim::new(c.remote, n)))
    }

    /// Takes up to `max` received bytes from the front of the channel's buffer; `None` when
    /// nothing is buffered (see [`Connection::peer_finished`] for end of stream). Reading is
    /// consuming, and consuming returns window credit to the peer.
    pub fn read(&mut self, id: LocalChannelId, max: usize) -> Result<Option<Bytes>, Error> {
        let c = self.local_channel(id)?;
        let Some(chunk) = c.buffer.pop(max) else {
            return Ok(None);
        };
        let n = c
            .recv_window
            .on_consumed(u32::try_from(chunk.len()).unwrap_or(u32::MAX));
        self.consumed(id, n);
        Ok(Some(chunk))
    }

    /// Sends EOF: we will write no more. Idempotent; a no-op once closing.
    pub fn eof(&mut self, id: LocalChannelId) -> Result<(), Error> {
        let c = self.local_channel(id)?;
        if c.state.on_local_eof(id)? {
            let remote = c.remote;
            self.send(ConnectionMessage::ChannelEof(ChannelEof {
                recipient_channel: remote.0,
            }));
        }
        Ok(())
    }

    /// Closes the channel: sends CLOSE (after any queued data), drops unread data and pending
    /// requests. The id stays taken until the peer's CLOSE ([`Event::PeerClosed`]), or is
    /// freed now if that came first. Closing an unconfirmed open sends CLOSE once it is
    /// confirmed. After this the application must not use the id again.
    pub fn close(&mut self, id: LocalChannelId) -> Result<(), Error> {
        let c = self.local_channel(id)?;
        let action = c.state.on_local_close(id)?;
        let remote = c.remote;
        match action {
            LocalCloseAction::SendAndKeep => {
                c.drop_queues();
                self.recharge(id);
            }
            LocalCloseAction::SendAndFree => self.free_channel(id),
            LocalCloseAction::Deferred | LocalCloseAction::Nothing => return Ok(()),
        }
        self.send(ConnectionMessage::ChannelClose(ChannelClose {
            recipient_channel: remote.0,
        }));
        Ok(())
    }

    /// Resizes the channel's receive window (grow now, shrink by granting less later). On a
    /// channel not accepted yet, the new size is what the confirmation will grant. The size
    /// counts against the window budget but is the caller's choice, not limited by it.
    pub fn set_recv_window(&mut self, id: LocalChannelId, size: u32) -> Result<(), Error> {
        let c = self.local_channel(id)?;
        if c.state == ChannelState::Offered {
            c.recv_window = RecvWindow::new(size, c.recv_window.max_packet());
            self.recharge(id);
            return Ok(());
        }
        c.recv_window.resize(size);
        self.recharge(id);
        self.grant_credit(id);
        Ok(())
    }
}

/// Channel `id` of `channels` when it may send data (open, no EOF or CLOSE sent by us).
fn writable(
    channels: &mut ChannelTable<Channel>,
    id: LocalChannelId,
) -> Result<&mut Channel, Error> {
    let c = channels
        .get_mut(id)
        .ok_or(Error::NoSuchChannel { channel: id })?;
    if !c.state.can_send_data() {
        return Err(Error::ChannelStateMismatch {
            channel: id,
            action: "write",
            state: c.state.name(),
        });
    }
    Ok(c)
}
