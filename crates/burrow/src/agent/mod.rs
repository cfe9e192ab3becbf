//! An ssh-agent client over the unix socket named by `SSH_AUTH_SOCK`; [`codec`] makes and
//! reads its frames.

pub mod codec;

use std::path::{Path, PathBuf};
use std::time::Duration;

use burrow_keys::{Certificate, PublicKey, SigAlg};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use codec::{
    AgentProtocolError, AgentReply, AgentRequestKind, decode_reply, request_identities, sign_flags,
    sign_request, take_frame,
};

/// How long one agent exchange may take.
const AGENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why talking to the agent failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AgentError {
    /// The socket failed.
    Io(std::io::Error),
    /// The agent's reply was bad or a refusal.
    Protocol(AgentProtocolError),
    /// The agent did not answer in time.
    Timeout,
}

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentError::Io(e) => write!(f, "agent socket: {e}"),
            AgentError::Protocol(e) => write!(f, "agent: {e}"),
            AgentError::Timeout => write!(
                f,
                "agent did not answer within {} s",
                AGENT_TIMEOUT.as_secs()
            ),
        }
    }
}

impl std::error::Error for AgentError {}

/// A connection to ssh-agent.
#[derive(Debug)]
pub struct Agent {
    stream: UnixStream,
    buf: BytesMut,
}

impl Agent {
    /// The socket path from `SSH_AUTH_SOCK`, if set.
    pub fn env_path() -> Option<PathBuf> {
        std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from)
    }

    /// Connects to the agent at `path`.
    pub async fn connect(path: &Path) -> Result<Self, AgentError> {
        let stream = UnixStream::connect(path).await.map_err(AgentError::Io)?;
        Ok(Self {
            stream,
            buf: BytesMut::new(),
        })
    }

    async fn exchange(
        &mut self,
        request: &[u8],
        kind: AgentRequestKind,
    ) -> Result<AgentReply, AgentError> {
        let fut = async {
            self.stream
                .write_all(request)
                .await
                .map_err(AgentError::Io)?;
            loop {
                if let Some(body) = take_frame(&mut self.buf).map_err(AgentError::Protocol)? {
                    return decode_reply(&body, kind).map_err(AgentError::Protocol);
                }
                if self
                    .stream
                    .read_buf(&mut self.buf)
                    .await
                    .map_err(AgentError::Io)?
                    == 0
                {
                    return Err(AgentError::Io(std::io::ErrorKind::UnexpectedEof.into()));
                }
            }
        };
        tokio::time::timeout(AGENT_TIMEOUT, fut)
            .await
            .unwrap_or(Err(AgentError::Timeout))
    }

    /// The agent's keys of the types burrow implements (others are skipped).
    pub async fn keys(&mut self) -> Result<Vec<PublicKey>, AgentError> {
        Ok(self.keys_and_certificates().await?.0)
    }

    /// The agent's keys and certificates of the types burrow implements (others skipped).
    pub async fn keys_and_certificates(
        &mut self,
    ) -> Result<(Vec<PublicKey>, Vec<Certificate>), AgentError> {
        match self
            .exchange(&request_identities(), AgentRequestKind::Identities)
            .await?
        {
            AgentReply::Identities(ids) => Ok((
                ids.iter()
                    .filter_map(|i| PublicKey::from_blob(&i.key_blob).ok())
                    .collect(),
                ids.iter()
                    .filter_map(|i| Certificate::from_blob(&i.key_blob, &SigAlg::ALL).ok())
                    .collect(),
            )),
            AgentReply::Signature(_) => {
                Err(AgentError::Protocol(AgentProtocolError::UnexpectedReply {
                    number: 14,
                }))
            }
        }
    }

    /// Asks the agent to sign `data` with the key `key_blob`; returns the signature blob.
    pub async fn sign(
        &mut self,
        key_blob: &[u8],
        algorithm: SigAlg,
        data: &[u8],
    ) -> Result<Vec<u8>, AgentError> {
        let request = sign_request(key_blob, data, sign_flags(algorithm));
        match self.exchange(&request, AgentRequestKind::Sign).await? {
            AgentReply::Signature(sig) => Ok(sig),
            AgentReply::Identities(_) => {
                Err(AgentError::Protocol(AgentProtocolError::UnexpectedReply {
                    number: 12,
                }))
            }
        }
    }
}
