//! `Session`: the application's handle on an established connection: open channels, send
//! global requests (remote forwards), wait for the end, disconnect.

use std::borrow::Cow;
use std::sync::Arc;

use burrow_connection::LocalChannelId;
use burrow_keys::PublicKey;
use burrow_wire::connection::{ChannelOpenType, ChannelRequestKind, GlobalRequestKind};
use tokio::sync::oneshot;

use crate::channel::Channel;
use crate::core::GlobalReply;
use crate::driver::Shared;
use crate::error::{Error, ErrorKind};

/// Ends the session when the last `Session` clone is dropped.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.lock().disconnect_requested = true;
        self.0.notify.notify_one();
    }
}

/// A handle on an established SSH connection. Clones share it; the session ends when
/// `disconnect` is called, when the peer or an error ends it, or when the last clone is
/// dropped.
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
    /// `None` for a borrowed handle (from a `WeakSession`), which does not end the session.
    _owner: Option<Arc<Owner>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("peer", &self.shared().lock().peer)
            .finish()
    }
}

impl Session {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            _owner: Some(Arc::new(Owner(shared.clone()))),
            shared,
        }
    }

    /// A handle that does not end the session when dropped.
    pub(crate) fn borrowed(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            _owner: None,
        }
    }

    /// A reference that does not keep the session alive.
    pub fn downgrade(&self) -> crate::WeakSession {
        crate::WeakSession::new(&self.shared)
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The peer, as given at connect or accept time.
    pub fn peer(&self) -> String {
        self.shared().lock().peer.clone()
    }

    /// Client: the server's host key.
    pub fn host_key(&self) -> Option<PublicKey> {
        self.shared().lock().host_key.clone()
    }

    /// Live channels on the connection.
    pub fn channel_count(&self) -> u32 {
        self.shared()
            .lock()
            .conn
            .as_ref()
            .map_or(0, |c| c.channel_count())
    }

    /// Rekeys so far and the last keepalive round trip.
    pub fn counters(&self) -> crate::SessionCounters {
        let core = self.shared().lock();
        crate::SessionCounters {
            closed: core.closed.is_some(),
            ..core.counting.counters
        }
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.shared().lock().closed.is_some()
    }

    /// Opens a channel of any type and waits for the peer's answer.
    pub async fn open_channel(&self, channel_type: ChannelOpenType<'_>) -> Result<Channel, Error> {
        let shared = self.shared();
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut core = shared.lock();
            if core.closed.is_some() {
                return Err(core.closed_error());
            }
            let core = &mut *core;
            let Some(conn) = core.conn.as_mut() else {
                return Err(core.closed_error());
            };
            let id = conn
                .open_channel(channel_type)
                .map_err(|e| Error::new(&core.peer, core.phase, ErrorKind::LocalLimit(e)))?;
            core.opens.insert(id, tx);
            id
        };
        shared.notify.notify_one();
        match rx.await {
            Ok(Ok(())) => Ok(Channel::new(shared.clone(), id)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(shared.lock().closed_error()),
        }
    }

    /// Opens a `direct-tcpip` channel: the peer connects to `host:port` (ssh -L, -W).
    pub async fn open_direct_tcpip(
        &self,
        host: &str,
        port: u16,
        originator: &str,
        originator_port: u16,
    ) -> Result<Channel, Error> {
        self.open_channel(ChannelOpenType::DirectTcpip {
            host_to_connect: Cow::Borrowed(host),
            port_to_connect: u32::from(port),
            originator_address: Cow::Borrowed(originator),
            originator_port: u32::from(originator_port),
        })
        .await
    }

    /// Opens a `direct-streamlocal@openssh.com` channel to the unix socket at `path`.
    pub async fn open_direct_streamlocal(&self, path: &str) -> Result<Channel, Error> {
        self.open_channel(ChannelOpenType::DirectStreamlocal {
            socket_path: Cow::Borrowed(path),
            reserved: Cow::Borrowed(""),
            reserved_port: 0,
        })
        .await
    }

    /// Server: opens a `forwarded-tcpip` channel for a connection that arrived on a remote
    /// forward listening on `bound_address:bound_port`.
    pub async fn open_forwarded_tcpip(
        &self,
        bound_address: &str,
        bound_port: u32,
        originator: &str,
        originator_port: u16,
    ) -> Result<Channel, Error> {
        self.open_channel(ChannelOpenType::ForwardedTcpip {
            address_that_was_connected: Cow::Borrowed(bound_address),
            port_that_was_connected: bound_port,
            originator_address: Cow::Borrowed(originator),
            originator_port: u32::from(originator_port),
        })
        .await
    }

    /// Server: opens a `forwarded-streamlocal@openssh.com` channel for a connection that
    /// arrived on the remote forward listening at `socket_path`.
    pub async fn open_forwarded_streamlocal(&self, socket_path: &str) -> Result<Channel, Error> {
        self.open_channel(ChannelOpenType::ForwardedStreamlocal {
            socket_path: Cow::Borrowed(socket_path),
            reserved: Cow::Borrowed(""),
        })
        .await
    }

    /// Opens a `session` channel and runs `command` in it (`exec`, want_reply). Read stdout
    /// from the channel, stderr with `take_stderr`, the exit status with `exit_status`.
    pub async fn exec(&self, command: &str) -> Result<Channel, Error> {
        let channel = self.open_channel(ChannelOpenType::Session).await?;
        let request = ChannelRequestKind::Exec {
            command: Cow::Borrowed(command.as_bytes()),
        };
        match self.channel_request(channel.local_id(), request).await? {
            true => Ok(channel),
            false => Err(self
                .shared()
                .lock()
                .error(ErrorKind::RequestRefused { request: "exec" })),
        }
    }

    /// Sends a channel request with want_reply and waits for the answer.
    async fn channel_request(
        &self,
        id: LocalChannelId,
        request: ChannelRequestKind<'_>,
    ) -> Result<bool, Error> {
        let shared = self.shared();
        let (tx, rx) = oneshot::channel();
        {
            let mut core = shared.lock();
            let core = &mut *core;
            let Some(conn) = core.conn.as_mut() else {
                return Err(core.closed_error());
            };
            let sent = conn
                .send_channel_request(id, request, true)
                .map_err(|e| Error::new(&core.peer, core.phase, ErrorKind::LocalLimit(e)))?;
            if let Some(rid) = sent {
                core.chan_requests.insert((id, rid), tx);
            }
        }
        shared.notify.notify_one();
        rx.await.map_err(|_| shared.lock().closed_error())
    }

    /// Sends a global request with want_reply and waits for the answer.
    async fn global_request(&self, request: GlobalRequestKind<'_>) -> Result<GlobalReply, Error> {
        let shared = self.shared();
        let (tx, rx) = oneshot::channel();
        {
            let mut core = shared.lock();
            let core = &mut *core;
            let Some(conn) = core.conn.as_mut() else {
                return Err(core.closed_error());
            };
            let sent = conn
                .send_global_request(request, true)
                .map_err(|e| Error::new(&core.peer, core.phase, ErrorKind::LocalLimit(e)))?;
            if let Some(rid) = sent {
                core.globals.insert(rid, tx);
            }
        }
        shared.notify.notify_one();
        rx.await.map_err(|_| shared.lock().closed_error())
    }

    async fn expect_success(
        &self,
        request: GlobalRequestKind<'_>,
        name: &'static str,
    ) -> Result<GlobalReply, Error> {
        let reply = self.global_request(request).await?;
        if reply.accepted {
            Ok(reply)
        } else {
            Err(self
                .shared()
                .lock()
                .error(ErrorKind::RequestRefused { request: name }))
        }
    }

    /// Asks the server to listen on `address:port` and forward connections back as
    /// `forwarded-tcpip` channels (ssh -R). With port 0 the server picks one; the port
    /// actually bound is returned.
    pub async fn request_remote_forward(&self, address: &str, port: u32) -> Result<u32, Error> {
        let reply = self
            .expect_success(
                GlobalRequestKind::TcpipForward {
                    address_to_bind: Cow::Borrowed(address),
                    port_to_bind: port,
                },
                "tcpip-forward",
            )
            .await?;
        Ok(reply.bound_port.unwrap_or(port))
    }

    /// Cancels a remote forward made with `request_remote_forward`.
    pub async fn cancel_remote_forward(&self, address: &str, port: u32) -> Result<(), Error> {
        self.expect_success(
            GlobalRequestKind::CancelTcpipForward {
                address_to_bind: Cow::Borrowed(address),
                port_to_bind: port,
            },
            "cancel-tcpip-forward",
        )
        .await
        .map(drop)
    }

    /// Asks the server to listen on the unix socket `path` and forward connections back as
    /// `forwarded-streamlocal@openssh.com` channels.
    pub async fn request_remote_streamlocal_forward(&self, path: &str) -> Result<(), Error> {
        self.expect_success(
            GlobalRequestKind::StreamlocalForward {
                socket_path: Cow::Borrowed(path),
            },
            "streamlocal-forward@openssh.com",
        )
        .await
        .map(drop)
    }

    /// Cancels a unix socket remote forward.
    pub async fn cancel_remote_streamlocal_forward(&self, path: &str) -> Result<(), Error> {
        self.expect_success(
            GlobalRequestKind::CancelStreamlocalForward {
                socket_path: Cow::Borrowed(path),
            },
            "cancel-streamlocal-forward@openssh.com",
        )
        .await
        .map(drop)
    }

    /// Sends DISCONNECT (by application) and ends the session; returns once it is over.
    pub async fn disconnect(&self) {
        self.shared().lock().disconnect_requested = true;
        self.shared().notify.notify_one();
        self.closed().await;
    }

    /// Waits until the session ends and returns why.
    pub async fn closed(&self) -> Arc<Error> {
        let shared = self.shared();
        loop {
            let notified = shared.ended.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(e) = shared.lock().closed.clone() {
                return e;
            }
            notified.await;
        }
    }
}

impl Channel {
    pub(crate) fn local_id(&self) -> LocalChannelId {
        LocalChannelId(self.id())
    }
}
