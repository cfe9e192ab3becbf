//! Configuration files: pure parsers over strings (ssh_config, sshd_config) and their values.

pub mod algorithms;
pub mod canonical;
pub mod client;
pub mod control;
pub mod jump;
pub mod lexer;
pub mod ssh_config;
pub mod ssh_match;
pub mod sshd_config;
pub mod syntax;
pub mod tokens;
pub mod value;
