//! One message, with file descriptors attached (SCM_RIGHTS), over a unix SEQPACKET socket:
//! the transport of the broker protocol between a sandboxed child and its monitor.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};

pub use crate::scm_rights::MAX_FDS;
use crate::scm_rights::{recv_with_fds, send_with_fds};

/// The longest message either side sends or accepts.
pub const MAX_MESSAGE: usize = 128 * 1024;

/// A connected pair of SEQPACKET sockets, close-on-exec, blocking.
pub fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// `sock` registered with tokio for readiness. tokio has no SEQPACKET type; its datagram
/// socket only waits for readiness here, every read going through [`recv`].
pub fn registered(sock: OwnedFd) -> io::Result<tokio::net::UnixDatagram> {
    let s = std::os::unix::net::UnixDatagram::from(sock);
    s.set_nonblocking(true)?;
    tokio::net::UnixDatagram::from_std(s)
}

/// Waits for and receives one message on a [`registered`] socket.
pub async fn recv_async(
    sock: &tokio::net::UnixDatagram,
) -> io::Result<Option<(Vec<u8>, Vec<OwnedFd>)>> {
    loop {
        sock.readable().await?;
        match sock.try_io(tokio::io::Interest::READABLE, || recv(sock)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => return r,
        }
    }
}

/// Sends `msg` with `fds` attached as one message.
pub fn send(sock: impl AsFd, msg: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
    if msg.len() > MAX_MESSAGE || fds.len() > MAX_FDS {
        return Err(io::Error::other(format!(
            "broker message of {} bytes and {} descriptors is over the limit ({MAX_MESSAGE}, {MAX_FDS})",
            msg.len(),
            fds.len()
        )));
    }
    let n = send_with_fds(sock, msg, fds)?;
    if n != msg.len() {
        return Err(io::Error::other(format!("sent {n} of {} bytes", msg.len())));
    }
    Ok(())
}

/// Receives one message and its descriptors; `None` when the other end has closed.
/// A message cut short (too long, or descriptors dropped at the fd limit) is an error.
pub fn recv(sock: impl AsFd) -> io::Result<Option<(Vec<u8>, Vec<OwnedFd>)>> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let got = recv_with_fds(sock, &mut buf)?;
    let fds = got.fds;
    if got.truncated {
        return Err(io::Error::other(
            "broker message cut short (too long, or out of descriptors)",
        ));
    }
    if got.bytes == 0 && fds.is_empty() {
        return Ok(None);
    }
    buf.truncate(got.bytes);
    Ok(Some((buf, fds)))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::fd::AsFd;

    use super::*;

    #[test]
    fn a_message_and_its_descriptors_arrive_together() {
        let (a, b) = pair().unwrap();
        let (mut x, y) = std::os::unix::net::UnixStream::pair().unwrap();
        send(&a, b"hello", &[y.as_fd()]).unwrap();
        drop(y);
        let (msg, mut fds) = recv(&b).unwrap().unwrap();
        assert_eq!(msg, b"hello");
        assert_eq!(fds.len(), 1);
        let mut y = std::os::unix::net::UnixStream::from(fds.remove(0));
        x.write_all(b"through").unwrap();
        let mut got = [0u8; 7];
        y.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"through");
        drop(a);
        assert!(recv(&b).unwrap().is_none(), "end of stream");
    }

    #[test]
    fn oversized_messages_are_refused_on_both_sides() {
        let (a, b) = pair().unwrap();
        assert!(send(&a, &vec![0; MAX_MESSAGE + 1], &[]).is_err());
        // A peer that ignores the limit: the receiver reports a cut message.
        let big = vec![1u8; MAX_MESSAGE + 10];
        send_with_fds(&a, &big, &[]).unwrap();
        assert!(recv(&b).is_err());
    }
}
