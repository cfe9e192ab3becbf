//! burrow-cli: the `burrow` client and `burrowd` server command-line programs, and the pure
//! parsers they use (ssh_config, sshd_config, arguments).
#![forbid(unsafe_code)]

pub mod args;
pub mod client;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod docs;
mod error;
pub mod fsglob;
pub mod logging;
pub mod metrics;
pub mod scm_rights;
pub mod sys;

pub use error::CliError;
