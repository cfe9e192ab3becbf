//! A descriptor passed by a mux client (its stdin or stdout: a pipe or a socket) as a tokio
//! reader or writer, made non-blocking as OpenSSH's master does for stdio forwards.

use std::io;
use std::os::fd::OwnedFd;

use nix::sys::stat::{SFlag, fstat};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::UnixStream;
use tokio::net::unix::pipe;

/// A passed descriptor to read from.
pub type Reader = Box<dyn AsyncRead + Send + Unpin>;
/// A passed descriptor to write to.
pub type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// What the descriptor is: a FIFO, or a socket (a terminal or a regular file cannot be
/// watched for readiness and is refused).
fn is_fifo(fd: &OwnedFd) -> io::Result<bool> {
    let st = fstat(fd)?;
    let kind = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
    match kind {
        SFlag::S_IFIFO => Ok(true),
        SFlag::S_IFSOCK => Ok(false),
        _ => Err(io::Error::other(
            "only pipes and sockets can be forwarded through a master",
        )),
    }
}

fn socket(fd: OwnedFd) -> io::Result<UnixStream> {
    let s = std::os::unix::net::UnixStream::from(fd);
    s.set_nonblocking(true)?;
    UnixStream::from_std(s)
}

/// The client's stdin.
pub fn reader(fd: OwnedFd) -> io::Result<Reader> {
    Ok(if is_fifo(&fd)? {
        Box::new(pipe::Receiver::from_owned_fd(fd)?)
    } else {
        Box::new(socket(fd)?)
    })
}

/// The client's stdout.
pub fn writer(fd: OwnedFd) -> io::Result<Writer> {
    Ok(if is_fifo(&fd)? {
        Box::new(pipe::Sender::from_owned_fd(fd)?)
    } else {
        Box::new(socket(fd)?)
    })
}
