//! The seam through which a forwarding server opens its sockets: [`Direct`] does it in this
//! process; a privilege-separated burrowd asks the process that holds the user's rights.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use crate::bind::BindAddr;
use crate::net::{LocalListener, LocalStream, connect};
use crate::spec::Connect;

/// A boxed future, so that [`Sockets`] can be a trait object.
pub type SocketFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Every connect, bind and unlink a forwarding server does for its user.
pub trait Sockets: Send + Sync + std::fmt::Debug {
    /// Connects to `target` (names resolved by the implementation), giving up after `timeout`.
    fn connect<'a>(
        &'a self,
        target: &'a Connect,
        timeout: Duration,
    ) -> SocketFuture<'a, LocalStream>;

    /// Binds TCP listeners on `addr:port` (see [`LocalListener::bind_tcp`]).
    fn bind_tcp<'a>(&'a self, addr: &'a BindAddr, port: u16) -> SocketFuture<'a, LocalListener>;

    /// Binds a 0600 unix listener at `path`, removing a file there first with `unlink`
    /// (StreamLocalBindUnlink).
    fn bind_unix<'a>(&'a self, path: &'a Path, unlink: bool) -> SocketFuture<'a, LocalListener>;

    /// Removes the socket file of a closed unix listener.
    fn remove_socket(&self, path: &Path) -> io::Result<()>;
}

/// Sockets opened by this process with its own rights.
#[derive(Debug, Clone, Copy, Default)]
pub struct Direct;

impl Sockets for Direct {
    fn connect<'a>(
        &'a self,
        target: &'a Connect,
        timeout: Duration,
    ) -> SocketFuture<'a, LocalStream> {
        Box::pin(connect(target, timeout))
    }

    fn bind_tcp<'a>(&'a self, addr: &'a BindAddr, port: u16) -> SocketFuture<'a, LocalListener> {
        Box::pin(LocalListener::bind_tcp(addr, port))
    }

    fn bind_unix<'a>(&'a self, path: &'a Path, unlink: bool) -> SocketFuture<'a, LocalListener> {
        Box::pin(async move { LocalListener::bind_unix(path, unlink) })
    }

    fn remove_socket(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
}
