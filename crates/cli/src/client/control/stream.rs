//! Mux packets over a connected unix stream socket, with the descriptors a peer passes
//! (SCM_RIGHTS, one per one-byte message, as OpenSSH's `mm_send_fd`) kept in arrival order.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use tokio::io::Interest;
use tokio::net::UnixStream;

use super::codec::{CodecError, Message, body_len};

/// The most passed descriptors held unclaimed (a stdio forward passes two).
pub const MAX_PENDING_FDS: usize = 4;

/// Why a packet could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The socket failed.
    Io(io::Error),
    /// The peer closed the connection (at a packet boundary or inside one).
    Closed,
    /// The packet was malformed.
    Codec(CodecError),
    /// The peer passed more than [`MAX_PENDING_FDS`] descriptors nobody asked for.
    TooManyFds,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{}", crate::sys::strerror(e)),
            ReadError::Closed => f.write_str("connection closed"),
            ReadError::Codec(e) => write!(f, "{e}"),
            ReadError::TooManyFds => write!(
                f,
                "more than {MAX_PENDING_FDS} descriptors passed without a request"
            ),
        }
    }
}

/// One side of a mux connection: buffered input, descriptors received so far.
#[derive(Debug)]
pub struct MuxStream {
    sock: UnixStream,
    input: Vec<u8>,
    fds: VecDeque<OwnedFd>,
}

impl MuxStream {
    /// Wraps a connected socket.
    pub fn new(sock: UnixStream) -> Self {
        Self {
            sock,
            input: Vec::new(),
            fds: VecDeque::new(),
        }
    }

    /// Sends one message.
    pub async fn send(&mut self, m: &Message) -> io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.sock.write_all(&m.encode()).await
    }

    /// Passes `fd` as OpenSSH does: one zero byte carrying it.
    pub async fn send_fd(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        loop {
            self.sock.writable().await?;
            let sent = self.sock.try_io(Interest::WRITABLE, || {
                crate::scm_rights::send_with_fds(&self.sock, &[0], &[fd])
            });
            match sent {
                Ok(1) => return Ok(()),
                Ok(_) => return Err(io::Error::other("descriptor not sent")),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the next message.
    pub async fn recv(&mut self) -> Result<Message, ReadError> {
        let prefix = self.fill(4).await?;
        let len = body_len(prefix).map_err(ReadError::Codec)?;
        let total = len.saturating_add(4);
        self.fill(total).await?;
        let body = self.input.get(4..total).unwrap_or_default();
        let m = Message::decode(body).map_err(ReadError::Codec);
        self.input.drain(..total);
        m
    }

    /// The next `n` descriptors the peer passed, waiting for them (the zero bytes that
    /// carry them are consumed). Fewer than `n` when the peer closes.
    pub async fn recv_fds(&mut self, n: usize) -> Result<Vec<OwnedFd>, ReadError> {
        // Each descriptor rides on one zero byte, which is not part of any packet.
        let mut carriers = 0;
        while carriers < n {
            match self.input.first() {
                Some(0) => {
                    self.input.remove(0);
                    carriers += 1;
                }
                Some(_) => break,
                None => match self.read_more().await {
                    Ok(()) => {}
                    Err(ReadError::Closed) => break,
                    Err(e) => return Err(e),
                },
            }
        }
        let take = n.min(self.fds.len());
        Ok(self.fds.drain(..take).collect())
    }

    /// Buffers until `n` bytes are in; returns the first four.
    async fn fill(&mut self, n: usize) -> Result<[u8; 4], ReadError> {
        while self.input.len() < n {
            self.read_more().await?;
        }
        let mut first = [0u8; 4];
        if let Some(b) = self.input.get(..4) {
            first.copy_from_slice(b);
        }
        Ok(first)
    }

    /// One `recvmsg`: bytes to the input, passed descriptors to the queue.
    async fn read_more(&mut self) -> Result<(), ReadError> {
        let mut buf = [0u8; 4096];
        loop {
            self.sock.readable().await.map_err(ReadError::Io)?;
            let got = self.sock.try_io(Interest::READABLE, || {
                let r = crate::scm_rights::recv_with_fds(&self.sock, &mut buf)?;
                Ok((r.bytes, r.fds))
            });
            let (n, fds) = match got {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(ReadError::Io(e)),
            };
            if self.fds.len().saturating_add(fds.len()) > MAX_PENDING_FDS {
                return Err(ReadError::TooManyFds);
            }
            self.fds.extend(fds);
            if n == 0 {
                return Err(ReadError::Closed);
            }
            if self.input.len().saturating_add(n) > super::codec::MAX_PACKET.saturating_add(8) {
                return Err(ReadError::Codec(CodecError::BadLength(u32::MAX)));
            }
            self.input
                .extend_from_slice(buf.get(..n).unwrap_or_default());
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::fd::AsFd;

    use tokio::io::AsyncWriteExt;

    use super::*;

    async fn fed(bytes: &[u8]) -> (MuxStream, UnixStream) {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(bytes).await.unwrap();
        (MuxStream::new(a), b)
    }

    #[tokio::test]
    async fn garbage_is_an_error_never_a_panic() {
        for garbage in [
            &[0xff, 0xff, 0xff, 0xff][..],
            &[0, 0, 0, 0],
            &[0, 0, 0, 5, 0x10, 0, 0, 4, 0],
            &[0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 9],
        ] {
            let (mut s, b) = fed(garbage).await;
            drop(b);
            assert!(s.recv().await.is_err(), "{garbage:?}");
            // And no descriptors out of thin air.
            assert!(s.recv_fds(2).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn a_packet_then_two_descriptors_arrive_in_order() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut server, mut client) = (MuxStream::new(a), MuxStream::new(b));
        let m = Message::StdioForward {
            id: 1,
            host: "h".into(),
            port: 80,
        };
        client.send(&m).await.unwrap();
        let (x, y) = std::os::unix::net::UnixStream::pair().unwrap();
        client.send_fd(x.as_fd()).await.unwrap();
        client.send_fd(y.as_fd()).await.unwrap();
        assert_eq!(server.recv().await.unwrap(), m);
        assert_eq!(server.recv_fds(2).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn descriptors_nobody_asked_for_are_bounded() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut server, client) = (MuxStream::new(a), MuxStream::new(b));
        let (x, _y) = std::os::unix::net::UnixStream::pair().unwrap();
        for _ in 0..=MAX_PENDING_FDS {
            client.send_fd(x.as_fd()).await.unwrap();
        }
        drop(client);
        let mut saw_limit = false;
        // Each descriptor rides on its own byte: one read each, the fifth is refused.
        for _ in 0..=MAX_PENDING_FDS {
            match server.read_more().await {
                Err(ReadError::TooManyFds) => {
                    saw_limit = true;
                    break;
                }
                Err(e) => panic!("{e}"),
                Ok(()) => {}
            }
        }
        assert!(server.fds.len() <= MAX_PENDING_FDS);
        assert!(saw_limit);
    }
}
