//! Reusable fixtures for the interop suite: required binaries, free ports, temp dirs, a
//! throwaway sshd, the OpenSSH client, and a blocking driver for a sans-IO `Transport`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod agent;
pub mod asyncssh;
pub mod auth;
pub mod conn;
pub mod forward;
pub mod matrix;
pub mod pam_sshd;
pub mod ssh;
pub mod sshd;

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The path of an OpenSSH binary, or `None` (test skipped) when it is missing. With `CI` set a
/// missing binary fails the test instead.
pub fn require_binary(path: &str) -> Option<PathBuf> {
    let found = if path.contains('/') {
        Path::new(path).is_file().then(|| PathBuf::from(path))
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(path))
                .find(|p| p.is_file())
        })
    };
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("{path} is required for interop tests (CI is set)");
        }
        eprintln!("skipping: {path} not found (set CI to make this a failure)");
    }
    found
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A directory under the system temp dir, removed (with its contents) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("burrow-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::fs::remove_dir_all(&self.0).is_err() {
            eprintln!("could not remove {}", self.0.display());
        }
    }
}

/// Writes an unencrypted ed25519 key pair with `ssh-keygen` at `path` (and `path.pub`).
pub fn keygen_ed25519(path: &Path) {
    let keygen = require_binary("ssh-keygen").expect("ssh-keygen");
    let status = Command::new(keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "burrow-test", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

/// The key blob of an OpenSSH public key file (`ssh-ed25519 AAAA... comment`).
pub fn public_key_blob(pub_path: &Path) -> Vec<u8> {
    let line = std::fs::read_to_string(pub_path).expect("read public key");
    let b64 = line.split_whitespace().nth(1).expect("public key field");
    base64_decode(b64)
}

/// Standard base64 (with padding), enough for public key lines.
pub fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
