//! burrow-forward: local (-L), remote (-R), dynamic (-D, SOCKS) and stdio (-W)
//! forwarding, unix-socket forwarding, and the server-side forwarding policy.
//!
//! Pure parts (no I/O, fuzzable): [`spec`] (ssh's option syntax), [`bind`] (GatewayPorts),
//! [`socks`] (SOCKS4/4a/5 negotiation), [`policy`] (sshd's forwarding policy).
//! Client: [`open_direct`], [`LocalForward`], [`RemoteListener`] / [`RemoteForward`] with the
//! [`RemoteForwards`] handler, [`stdio_forward`], and [`start_forwards`] for a whole set.
//! Server: [`ForwardServer`] with per-connection [`SessionForwards`], or the ready-made
//! [`ForwardHandler`].
#![forbid(unsafe_code)]

pub mod bind;
mod error;
mod handler;
mod latency;
mod local;
mod net;
pub mod policy;
mod pump;
mod remote;
mod remote_forward;
mod run;
mod server;
mod server_listen;
mod session_slot;
mod sockets;
pub mod socks;
pub mod spec;
mod stats;
mod stdio;
mod unix_bind;

pub use bind::{BindAddr, GatewayPorts};
pub use error::{ForwardError, SpecKind};
pub use handler::{ForwardHandler, ForwardPermissions, KeyAuth};
pub use latency::{CONNECT_BUCKETS, LatencySnapshot};
pub use local::{ForwardOptions, LocalForward, MAX_WAITING, open_direct};
pub use net::{LocalListener, LocalStream, Originator};
pub use policy::{Decision, Denial, ForwardPolicy};
pub use pump::{Origin, join};
pub use remote::{ForwardedConnection, RemoteForwards, RemoteListener};
pub use remote_forward::RemoteForward;
pub use run::{ForwardHandle, ReadyForward, Renewed, RunningForwards, start_forwards};
pub use server::{DEFAULT_MAX_LISTENERS, ForwardServer, Requester};
pub use server_listen::SessionForwards;
pub use session_slot::SessionSlot;
pub use sockets::{Direct, SocketFuture, Sockets};
pub use spec::{Connect, Forward, ForwardSpec, Listen, parse_stdio};
pub use stats::{ChannelObserver, ForwardStats, StatsLedger, StatsSnapshot};
pub use stdio::stdio_forward;
