//! The one test kit of the burrow workspace: launchers for every peer (sshd, ssh, ssh-agent,
//! dropbear, dbclient, AsyncSSH, burrowd, burrow), free ports, temp dirs, key fixtures, echo
//! and sink targets with integrity checks, and the rule for a missing peer.
//!
//! A missing peer fails the test when the environment variable `CI` is set; otherwise the
//! test prints why it is skipped. Everything here panics on failure: it only runs in tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod agent;
#[cfg(feature = "tokio")]
pub mod aio;
pub mod asyncssh;
pub mod burrow;
pub mod dir;
pub mod dropbear;
pub mod keys;
pub mod ports;
pub mod proc;
pub mod socks;
pub mod sshd;
pub mod targets;

pub use dir::TempDir;
pub use keys::{base64_decode, keygen, keygen_ed25519, public_key_blob};
pub use ports::free_port;
pub use proc::Proc;

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit has a workspace root")
        .to_path_buf()
}

/// True when the environment variable `CI` is set: missing peers are failures then.
pub fn ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Reports a missing peer: panics under `CI`, else prints a skip message.
pub fn missing(what: &str) {
    if ci() {
        panic!("{what} is required for interop tests (CI is set)");
    }
    eprintln!("skipping: {what} not found (set CI to make this a failure)");
}

/// The path of a binary (absolute, or looked up in `PATH`), or `None` when it is missing
/// (see [`missing`] for the CI rule).
pub fn require_binary(path: &str) -> Option<PathBuf> {
    let found = find_binary(path);
    if found.is_none() {
        missing(path);
    }
    found
}

/// The path of a binary without the CI rule: `None` when it is missing.
pub fn find_binary(path: &str) -> Option<PathBuf> {
    if path.contains('/') {
        Path::new(path).is_file().then(|| PathBuf::from(path))
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(path))
                .find(|p| p.is_file())
        })
    }
}

/// The user tests log in as (`$USER`, else `id -un`).
pub fn local_user() -> String {
    if let Ok(u) = std::env::var("USER") {
        if !u.is_empty() {
            return u;
        }
    }
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("run id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
