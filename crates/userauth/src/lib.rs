//! burrow-userauth: sans-IO client and server state machines for SSH-2 user
//! authentication (RFC 4252): none, publickey, password and keyboard-interactive.
//!
//! - [`Client`]: `new(config, session_id, identities)` queues SERVICE_REQUEST; feed it the
//!   server's userauth payloads with `handle_payload`, send what `poll_payload` gives, and
//!   answer [`ClientEvent`]s with `provide_signature` / `signing_failed` (ssh-agent: the
//!   codec is in burrow), `answer_prompts`, `answer_password`. `Err(PermissionDenied)` prints like ssh.
//! - [`Server`]: `new(Arc<config>, session_id, rng, now)`; `handle_payload(payload, policy,
//!   now)` with the caller's [`AuthPolicy`]; `poll_payload(now)` releases replies once the
//!   failure delay has passed; `poll_timeout` / `handle_timeout` drive the delay and
//!   LoginGraceTime; [`ServerEvent::Authenticated`] carries the [`Authenticated`] proof token.
//! - [`route`](mod@route): the admission gate saying which layer a payload goes to, before and after
//!   authentication.
#![forbid(unsafe_code)]

mod authenticated;
pub mod client;
mod error;
mod method;
pub mod route;
pub mod server;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use authenticated::Authenticated;
pub use client::{Client, ClientConfig, ClientEvent, Identity, PromptLine};
pub use error::UserauthError;
pub use method::Method;
pub use route::{Route, route};
pub use server::{AuthPolicy, Server, ServerConfig, ServerEvent};
