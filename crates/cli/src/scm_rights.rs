//! File descriptors passed over unix sockets (SCM_RIGHTS): one `sendmsg` or `recvmsg` each,
//! through rustix's safe API. The privilege-separation broker, the control socket and
//! ProxyUseFdpass all pass descriptors this way.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, recvmsg, sendmsg,
};

/// The most descriptors one message carries.
pub const MAX_FDS: usize = 8;

/// What one [`recv_with_fds`] read.
#[derive(Debug)]
pub struct Received {
    /// Bytes placed at the start of the buffer (0: the peer closed, unless `fds` came).
    pub bytes: usize,
    /// The descriptors passed with them, close-on-exec.
    pub fds: Vec<OwnedFd>,
    /// The message (on a datagram or SEQPACKET socket) or its descriptors were cut short:
    /// too long for the buffer, or more than [`MAX_FDS`] descriptors (the kernel closed the rest).
    pub truncated: bool,
}

/// One `sendmsg` of `msg` with `fds` attached; returns the bytes sent.
pub fn send_with_fds(sock: impl AsFd, msg: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other(format!(
            "{} descriptors do not fit one message (at most {MAX_FDS})",
            fds.len()
        )));
    }
    Ok(sendmsg(
        sock,
        &[IoSlice::new(msg)],
        &mut control,
        SendFlags::NOSIGNAL,
    )?)
}

/// One `recvmsg` into `buf`, taking the descriptors passed with it (at most [`MAX_FDS`]).
pub fn recv_with_fds(sock: impl AsFd, buf: &mut [u8]) -> io::Result<Received> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = recvmsg(
        sock,
        &mut [IoSliceMut::new(buf)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    let mut fds = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = m {
            fds.extend(received);
        }
    }
    Ok(Received {
        bytes: got.bytes,
        fds,
        truncated: got
            .flags
            .intersects(ReturnFlags::TRUNC | ReturnFlags::CTRUNC),
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    #[test]
    fn descriptors_beyond_the_limit_are_reported_cut() {
        let (a, b) = UnixStream::pair().unwrap();
        let pipes: Vec<_> = (0..MAX_FDS).map(|_| UnixStream::pair().unwrap()).collect();
        let fds: Vec<_> = pipes.iter().map(|(x, _)| x.as_fd()).collect();
        assert_eq!(send_with_fds(&a, b"x", &fds).unwrap(), 1);
        let mut buf = [0u8; 4];
        let got = recv_with_fds(&b, &mut buf).unwrap();
        assert_eq!(
            (got.bytes, got.fds.len(), got.truncated),
            (1, MAX_FDS, false)
        );
        // A passed descriptor is the same socket.
        let mut passed = UnixStream::from(got.fds.into_iter().next().unwrap());
        passed.write_all(b"ok").unwrap();
        let mut two = [0u8; 2];
        let mut far = &pipes.first().unwrap().1;
        far.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"ok");
        // Twice what the receiver takes: refused by the sender's buffer, or cut at the
        // receiver (the kernel closes what does not fit), never delivered whole.
        let extra: Vec<_> = (0..MAX_FDS).map(|_| UnixStream::pair().unwrap()).collect();
        let twice: Vec<_> = pipes.iter().chain(&extra).map(|(x, _)| x.as_fd()).collect();
        match send_with_fds(&a, b"y", &twice) {
            Ok(_) => {
                let got = recv_with_fds(&b, &mut buf).unwrap();
                assert!(got.truncated && got.fds.len() <= MAX_FDS, "{got:?}");
            }
            Err(e) => assert!(e.to_string().contains("do not fit"), "{e}"),
        }
    }
}
