//! The sandboxed child's side of the broker: each request goes to the monitor with a fresh
//! reply socket attached; the host-key signer, the login checks and the user's sockets are
//! built on it.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use burrow::PublicKey;
use burrow_forward::{BindAddr, Connect, LocalListener, LocalStream, SocketFuture, Sockets};
use burrow_keyfiles::KeyOptions;
use burrow_keys::{KeyError, SigAlg};
use burrow_transport::HostKeySigner;

use super::broker::{Reply, Request};
use super::fdpass;

/// The child's end of the broker channel.
#[derive(Debug)]
pub struct Broker {
    channel: Mutex<OwnedFd>,
}

impl Broker {
    /// A broker over `channel` (the child's stdout).
    pub fn new(channel: OwnedFd) -> Arc<Self> {
        Arc::new(Self {
            channel: Mutex::new(channel),
        })
    }

    /// Sends `req` with the monitor's end of a new reply socket; returns our end.
    fn send(&self, req: &Request) -> io::Result<OwnedFd> {
        let (ours, theirs) = fdpass::pair()?;
        let channel = self.channel.lock().unwrap_or_else(PoisonError::into_inner);
        fdpass::send(&*channel, &req.to_bytes(), &[theirs.as_fd()])?;
        Ok(ours)
    }

    fn decode(got: Option<(Vec<u8>, Vec<OwnedFd>)>) -> io::Result<(Reply, Vec<OwnedFd>)> {
        let (msg, fds) = got.ok_or_else(|| io::Error::other("the monitor closed the broker"))?;
        let reply =
            Reply::decode(&msg).map_err(|e| io::Error::other(format!("broker reply: {e}")))?;
        Ok((reply, fds))
    }

    /// A request answered while this thread waits (before authentication: nothing else
    /// runs on the connection meanwhile).
    pub fn call(&self, req: &Request) -> io::Result<(Reply, Vec<OwnedFd>)> {
        let ours = self.send(req)?;
        Self::decode(fdpass::recv(&ours)?)
    }

    /// A request answered while other tasks run.
    pub async fn call_async(&self, req: &Request) -> io::Result<(Reply, Vec<OwnedFd>)> {
        let ours = fdpass::registered(self.send(req)?)?;
        Self::decode(fdpass::recv_async(&ours).await?)
    }

    /// The monitor's answer to "may `key` (a key or user certificate blob) log in as
    /// `user`": its authorized_keys or certificate options.
    pub fn auth_query(&self, user: &str, key: &[u8]) -> Option<KeyOptions> {
        let req = Request::AuthQuery {
            user: user.to_owned(),
            key: key.to_vec(),
        };
        match self.call(&req) {
            Ok((Reply::Options(o), _)) => Some(o),
            Ok(_) => None,
            Err(e) => {
                tracing::error!("broker: {e}");
                None
            }
        }
    }

    /// Hands the completing USERAUTH_REQUEST to the monitor, which checks it and becomes
    /// the user.
    pub fn authenticate(&self, request: &[u8]) -> io::Result<()> {
        let req = Request::Authenticate {
            request: request.to_vec(),
        };
        match self.call(&req)? {
            (Reply::Done, _) => Ok(()),
            (other, _) => Err(other.into_error()),
        }
    }

    /// The monitor's public host keys, as a signer that asks the monitor to sign, and the
    /// socket on which the monitor asks for a drain (SIGTERM: once the
    /// monitor is the user, it may no longer signal this process).
    pub fn host_keys(self: &Arc<Self>) -> io::Result<(BrokeredHostKeys, Option<OwnedFd>)> {
        let (reply, mut fds) = self.call(&Request::HostKeys)?;
        let Reply::Keys(blobs) = reply else {
            return Err(reply.into_error());
        };
        let keys = blobs
            .iter()
            .map(|b| PublicKey::from_blob(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| io::Error::other(format!("host key from the monitor: {e}")))?;
        let signer = BrokeredHostKeys {
            broker: self.clone(),
            keys,
        };
        Ok((signer, fds.pop()))
    }

    async fn socket(&self, req: Request) -> io::Result<Vec<OwnedFd>> {
        match self.call_async(&req).await? {
            (Reply::Done, fds) if !fds.is_empty() => Ok(fds),
            (other, _) => Err(other.into_error()),
        }
    }
}

/// Host keys held by the monitor.
pub struct BrokeredHostKeys {
    broker: Arc<Broker>,
    keys: Vec<PublicKey>,
}

impl HostKeySigner for BrokeredHostKeys {
    fn public_key(&self, key_type: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.key_type() == key_type)
    }

    fn sign(
        &self,
        alg: SigAlg,
        data: &[u8],
        _rng: &mut dyn rand_core::CryptoRngCore,
    ) -> Result<Vec<u8>, KeyError> {
        let req = Request::Sign {
            alg: alg.name().to_owned(),
            data: data.to_vec(),
        };
        match self.broker.call(&req) {
            Ok((Reply::Signature(sig), _)) => Ok(sig),
            Ok((other, _)) => {
                tracing::error!("the monitor did not sign: {}", other.into_error());
                Err(KeyError::SignatureVerificationFailed)
            }
            Err(e) => {
                tracing::error!("the monitor did not sign: {e}");
                Err(KeyError::SignatureVerificationFailed)
            }
        }
    }
}

/// The user's sockets, opened by the monitor with the user's rights.
#[derive(Debug, Clone)]
pub struct BrokeredSockets(pub Arc<Broker>);

fn tcp_stream(fd: OwnedFd) -> io::Result<tokio::net::TcpStream> {
    let s = std::net::TcpStream::from(fd);
    s.set_nonblocking(true)?;
    tokio::net::TcpStream::from_std(s)
}

fn only(mut fds: Vec<OwnedFd>) -> io::Result<OwnedFd> {
    fds.pop()
        .ok_or_else(|| io::Error::other("no descriptor in the broker reply"))
}

impl Sockets for BrokeredSockets {
    fn connect<'a>(
        &'a self,
        target: &'a Connect,
        timeout: Duration,
    ) -> SocketFuture<'a, LocalStream> {
        Box::pin(async move {
            let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
            let req = Request::Connect {
                target: target.clone(),
                timeout_ms,
            };
            let fd = only(self.0.socket(req).await?)?;
            Ok(match target {
                Connect::Tcp { .. } => LocalStream::Tcp(tcp_stream(fd)?),
                Connect::Unix(_) => {
                    let s = std::os::unix::net::UnixStream::from(fd);
                    s.set_nonblocking(true)?;
                    LocalStream::Unix(tokio::net::UnixStream::from_std(s)?)
                }
            })
        })
    }

    fn bind_tcp<'a>(&'a self, addr: &'a BindAddr, port: u16) -> SocketFuture<'a, LocalListener> {
        Box::pin(async move {
            let req = Request::BindTcp {
                addr: addr.clone(),
                port,
            };
            let mut listeners = Vec::new();
            for fd in self.0.socket(req).await? {
                let l = std::net::TcpListener::from(fd);
                l.set_nonblocking(true)?;
                listeners.push(tokio::net::TcpListener::from_std(l)?);
            }
            Ok(LocalListener::Tcp(listeners))
        })
    }

    fn bind_unix<'a>(&'a self, path: &'a Path, unlink: bool) -> SocketFuture<'a, LocalListener> {
        Box::pin(async move {
            let req = Request::BindUnix {
                path: path.to_string_lossy().into_owned(),
                unlink,
            };
            let l = std::os::unix::net::UnixListener::from(only(self.0.socket(req).await?)?);
            l.set_nonblocking(true)?;
            Ok(LocalListener::Unix(tokio::net::UnixListener::from_std(l)?))
        })
    }

    fn remove_socket(&self, path: &Path) -> io::Result<()> {
        let req = Request::RemoveSocket {
            path: path.to_string_lossy().into_owned(),
        };
        match self.0.call(&req)? {
            (Reply::Done, _) => Ok(()),
            (other, _) => Err(other.into_error()),
        }
    }
}
