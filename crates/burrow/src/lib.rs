//! burrow: async SSH-2 client and server sessions on tokio, over the sans-IO crates
//! (transport, userauth, connection).
//!
//! One task per connection drives the protocol state ([`Session`]s and [`Channel`]s are
//! handles on it); channels are tokio byte streams with end-to-end backpressure.
//!
//! Client: [`Client::connect`] (or [`Client::connect_stream`] over any byte stream) returns a
//! [`Session`]; open `direct-tcpip` channels with [`Session::open_direct_tcpip`], run
//! commands with [`Session::exec`], ask for remote forwards with
//! [`Session::request_remote_forward`] and receive their `forwarded-tcpip` channels through
//! a [`Handler`].
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use burrow::{Client, ClientConfig, KnownHostsFile};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let check = KnownHostsFile::new("/home/me/.ssh/known_hosts".into());
//! let mut config = ClientConfig::new("me", Arc::new(check));
//! config.add_key_file("/home/me/.ssh/id_ed25519".as_ref(), None)?;
//! let session = Client::connect("example.org", 22, config).await?;
//! let mut channel = session.open_direct_tcpip("localhost", 80, "127.0.0.1", 0).await?;
//! channel.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
//! let mut reply = Vec::new();
//! channel.read_to_end(&mut reply).await?;
//! session.disconnect().await;
//! # Ok(()) }
//! ```
//!
//! Server: [`Server::bind`] or [`Server::serve`] with a [`ServerHandler`] that decides
//! authentication (see [`AuthorizedKeysFile`]), channel opens and global requests; see
//! `examples/server.rs`.
#![forbid(unsafe_code)]

pub mod agent;
mod auth_log;
mod authorized_keys;
mod budget;
mod channel;
mod client;
mod client_auth;
mod core;
mod counters;
mod driver;
mod error;
mod handler;
mod hold;
pub mod host_key;
mod incoming;
mod input_alloc;
mod keepalive;
mod known_hosts;
pub mod peer_text;
mod quickack;
mod recv;
mod rng;
mod route;
mod send;
mod server;
mod server_auth;
mod session;
mod slot;
mod startups;

pub use crate::core::DEFAULT_MAX_CHANNELS;
pub use agent::{Agent, AgentError};
pub use auth_log::printable;
pub use authorized_keys::{AuthorizedKeysFile, local_utc_offset};
pub use channel::Channel;
pub use client::{AuthPrompt, Client, ClientConfig, HostKeyCheck, IpFamily};
pub use counters::SessionCounters;
pub use error::{Error, ErrorKind, Phase};
pub use handler::{Handler, RejectAll};
pub use host_key::StrictHostKeyChecking;
pub use incoming::{IncomingChannel, IncomingGlobalRequest, WeakSession};
pub use known_hosts::KnownHostsFile;
pub use quickack::QuickAck;
pub use server::{ConnectionInfo, Server, ServerConfig, ServerHandler, ServerStop};
pub use session::Session;
pub use slot::ExitInfo;
pub use startups::MaxStartups;

pub use burrow_connection::ConnectionConfig;
pub use burrow_keyfiles::{KeyOptions, PrivateKeyFile, parse_public_key_line};
pub use burrow_keys::{CertType, Certificate, KeyPair, PublicKey, SigAlg};
pub use burrow_transport::TransportConfig;
pub use burrow_userauth::{Method, PromptLine};
pub use burrow_wire::connection::{ChannelOpenType, GlobalRequestKind};
pub use burrow_wire::{DisconnectReason, OpenFailureReason};
