//! burrow-userauth: sans-IO client and server state machines for SSH-2 user
//! authentication (RFC 4252): none, publickey, password and keyboard-interactive.
#![forbid(unsafe_code)]

pub mod agent;
mod authenticated;
pub mod client;
mod error;
pub mod host_key;
mod method;
pub mod server;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use authenticated::Authenticated;
pub use client::{Client, ClientConfig, ClientEvent, Identity, PromptLine};
pub use error::UserauthError;
pub use method::Method;
pub use server::{AuthPolicy, Server, ServerConfig, ServerEvent};
