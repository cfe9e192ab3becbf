//! burrow-cli: the `burrow` client and `burrowd` server command-line programs, and the pure
//! parsers they use (ssh_config, sshd_config, arguments).
#![forbid(unsafe_code)]

pub mod args;
pub mod config;
mod error;

pub use error::CliError;
