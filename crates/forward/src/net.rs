//! Local sockets for forwards: binding TCP listeners per [`BindAddr`] and unix listeners,
//! accepting from them, and connecting to targets (TCP with a timeout, or unix).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::bind::BindAddr;
use crate::spec::Connect;

/// A connected local socket.
#[derive(Debug)]
pub enum LocalStream {
    /// TCP.
    Tcp(TcpStream),
    /// Unix-domain.
    Unix(UnixStream),
}

impl AsyncRead for LocalStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LocalStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            LocalStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for LocalStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            LocalStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            LocalStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            LocalStream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            LocalStream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LocalStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            LocalStream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LocalStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            LocalStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Where an accepted connection came from: address and port (`""`/0 for unix sockets), as
/// direct-tcpip's originator fields want them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    /// The peer address (no brackets).
    pub address: String,
    /// The peer port.
    pub port: u16,
}

impl Originator {
    fn of(addr: SocketAddr) -> Self {
        Self {
            address: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    fn unix() -> Self {
        Self {
            address: String::new(),
            port: 0,
        }
    }
}

/// A bound local listener: one TCP socket per address family, or a unix socket.
#[derive(Debug)]
pub enum LocalListener {
    /// TCP listeners, all on the same port.
    Tcp(Vec<TcpListener>),
    /// A unix socket listener.
    Unix(UnixListener),
}

/// The addresses to bind for `addr`, in order.
async fn bind_ips(addr: &BindAddr, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok(match addr {
        BindAddr::Loopback => vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ],
        BindAddr::Wildcard => vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
        ],
        BindAddr::Host(h) => tokio::net::lookup_host((h.as_str(), port)).await?.collect(),
    })
}

impl LocalListener {
    /// Binds TCP `addr:port` (port 0: one port picked by the kernel, reused for the other
    /// families). Succeeds when at least one address could be bound, as ssh.
    pub async fn bind_tcp(addr: &BindAddr, port: u16) -> io::Result<Self> {
        let mut listeners: Vec<TcpListener> = Vec::new();
        let mut last_err = None;
        for mut sa in bind_ips(addr, port).await? {
            if let Some(first) = listeners.first() {
                sa.set_port(first.local_addr()?.port());
            }
            match TcpListener::bind(sa).await {
                Ok(l) => listeners.push(l),
                Err(e) => {
                    tracing::debug!(addr = %sa, error = %e, "bind failed");
                    last_err = Some(e);
                }
            }
        }
        if listeners.is_empty() {
            return Err(last_err.unwrap_or_else(|| io::Error::other("no address to bind")));
        }
        Ok(Self::Tcp(listeners))
    }

    /// Binds a unix socket at `path`; with `unlink`, a stale file there is removed first
    /// (StreamLocalBindUnlink). The socket is mode 0600 (StreamLocalBindMask 0177) from the
    /// moment it exists at `path` (`unix_bind`).
    pub fn bind_unix(path: &Path, unlink: bool) -> io::Result<Self> {
        Ok(Self::Unix(crate::unix_bind::bind_unix_0600(path, unlink)?))
    }

    /// The bound TCP port (0 for a unix listener).
    pub fn port(&self) -> u16 {
        match self {
            Self::Tcp(ls) => ls
                .first()
                .and_then(|l| l.local_addr().ok())
                .map_or(0, |a| a.port()),
            Self::Unix(_) => 0,
        }
    }

    /// The bound TCP addresses.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        match self {
            Self::Tcp(ls) => ls.iter().filter_map(|l| l.local_addr().ok()).collect(),
            Self::Unix(_) => Vec::new(),
        }
    }

    /// Waits for the next connection on any of the sockets.
    pub async fn accept(&self) -> io::Result<(LocalStream, Originator)> {
        match self {
            Self::Unix(l) => {
                let (s, _) = l.accept().await?;
                Ok((LocalStream::Unix(s), Originator::unix()))
            }
            Self::Tcp(ls) => {
                let (s, addr) = std::future::poll_fn(|cx| {
                    for l in ls {
                        if let Poll::Ready(r) = l.poll_accept(cx) {
                            return Poll::Ready(r);
                        }
                    }
                    Poll::Pending
                })
                .await?;
                nodelay(&s);
                Ok((LocalStream::Tcp(s), Originator::of(addr)))
            }
        }
    }
}

fn nodelay(s: &TcpStream) {
    if let Err(e) = s.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY not set");
    }
}

/// Connects to `target` (names resolved here), giving up after `timeout`.
pub async fn connect(target: &Connect, timeout: Duration) -> io::Result<LocalStream> {
    let fut = async {
        match target {
            Connect::Tcp { host, port } => {
                let s = TcpStream::connect((host.as_str(), *port)).await?;
                nodelay(&s);
                Ok(LocalStream::Tcp(s))
            }
            Connect::Unix(path) => Ok(LocalStream::Unix(UnixStream::connect(path).await?)),
        }
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("connect timed out after {} s", timeout.as_secs()),
        )),
    }
}
