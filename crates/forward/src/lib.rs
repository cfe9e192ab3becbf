//! burrow-forward: local (-L), remote (-R), dynamic (-D, SOCKS) and stdio (-W)
//! forwarding, unix-socket forwarding, and the server-side forwarding policy.
#![forbid(unsafe_code)]

pub mod bind;
mod error;
pub mod policy;
pub mod socks;
pub mod spec;

pub use bind::{BindAddr, GatewayPorts};
pub use error::{ForwardError, SpecKind};
pub use policy::{Decision, Denial, ForwardPolicy};
pub use spec::{Connect, Forward, ForwardSpec, Listen, parse_stdio};
