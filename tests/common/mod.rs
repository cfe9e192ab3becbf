//! Reusable fixtures for the interop suite: the test kit's binaries, ports, temp dirs and
//! keys, plus a throwaway sshd, the OpenSSH client, and a blocking driver for a sans-IO
//! `Transport`.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod agent;
pub mod auth;
pub mod conn;
pub mod forward;
pub mod matrix;
pub mod pam_sshd;
pub mod ssh;
pub mod sshd;

// The generic fixtures live in the workspace's one test kit (crates/testkit); these names
// stay here so every interop test keeps `common::...`.
pub use burrow_testkit::{
    TempDir, base64_decode, free_port, keygen_ed25519, public_key_blob, require_binary,
};
