//! A server's TCP stream: every read of the handshake is acknowledged at once (TCP_QUICKACK),
//! so that a client that leaves Nagle on does not wait for our delayed ACK.
//!
//! OpenSSH's `ssh -W` sets TCP_NODELAY only for interactive sessions. It writes its
//! KEX_ECDH_INIT while its KEXINIT is unacknowledged, and its SERVICE_REQUEST while its
//! NEWKEYS is: Nagle holds each until our kernel acknowledges the packet before, which it
//! delays by about 40 ms once it counts the connection as interactive (we answered the
//! client's version line within the delayed-ACK time, as a process started per connection
//! does, or a busy server). Setting TCP_QUICKACK after a read sends the pending ACK now; the kernel clears it
//! again by itself, so it is set after every read until the handshake is surely over.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Reads after which quick ACKs stop: version, key exchange, NEWKEYS, service request and
/// a few authentication requests, with room for the client's packets split across reads.
const QUICK_READS: u8 = 24;

/// A TCP stream acknowledging its first 24 reads at once, for [`crate::Server::serve_stream`]
/// (`Server::serve` wraps every accepted connection in it).
pub struct QuickAck {
    inner: TcpStream,
    reads_left: u8,
}

impl QuickAck {
    /// Wraps `inner`; the first data to arrive is acknowledged at once too.
    pub fn new(inner: TcpStream) -> Self {
        let s = Self {
            inner,
            reads_left: QUICK_READS,
        };
        s.quick_ack();
        s
    }

    fn quick_ack(&self) {
        if let Err(e) = rustix::net::sockopt::set_tcp_quickack(&self.inner, true) {
            tracing::debug!("TCP_QUICKACK not set: {e}");
        }
    }
}

impl AsyncRead for QuickAck {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if this.reads_left > 0 && buf.filled().len() > before {
            this.reads_left -= 1;
            this.quick_ack();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn bytes_pass_both_ways_and_quick_reads_run_out() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        let mut q = QuickAck::new(server);
        let mut buf = [0u8; 8];
        for i in 0..u32::from(QUICK_READS) + 2 {
            client.write_all(&i.to_be_bytes()).await.unwrap();
            q.read_exact(&mut buf[..4]).await.unwrap();
            assert_eq!(buf[..4], i.to_be_bytes());
            q.write_all(b"ok").await.unwrap();
            client.read_exact(&mut buf[..2]).await.unwrap();
            assert_eq!(&buf[..2], b"ok");
        }
        assert_eq!(q.reads_left, 0);
        // The option can be read back while it is set: the kernel accepted it.
        let fresh = QuickAck::new(TcpStream::connect(addr).await.unwrap());
        assert!(rustix::net::sockopt::tcp_quickack(&fresh.inner).unwrap());
    }
}
