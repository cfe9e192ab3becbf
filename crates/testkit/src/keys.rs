//! Key fixtures: `ssh-keygen` per key type, `dropbearconvert` for Dropbear's own format,
//! public key blobs and known_hosts lines.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::require_binary;

/// The key types the interop tests use, as `(name, ssh-keygen arguments)`.
pub const KEY_TYPES: [(&str, &[&str]); 5] = [
    ("ed25519", &["-t", "ed25519"]),
    ("rsa-3072", &["-t", "rsa", "-b", "3072"]),
    ("ecdsa-p256", &["-t", "ecdsa", "-b", "256"]),
    ("ecdsa-p384", &["-t", "ecdsa", "-b", "384"]),
    ("ecdsa-p521", &["-t", "ecdsa", "-b", "521"]),
];

/// Writes an unencrypted key pair of type `kind` (a name from [`KEY_TYPES`]) at `path` and
/// `path.pub` with `ssh-keygen` (OpenSSH format).
pub fn keygen(kind: &str, path: &Path) {
    let (_, args) = KEY_TYPES
        .iter()
        .find(|(n, _)| *n == kind)
        .unwrap_or_else(|| panic!("unknown key type {kind}"));
    keygen_with(path, args);
}

/// Writes an unencrypted key pair at `path` and `path.pub` with `ssh-keygen` and the key
/// type arguments `args` (`-t rsa -b 1024`, ...).
pub fn keygen_with(path: &Path, args: &[&str]) {
    let keygen = require_binary("ssh-keygen").expect("ssh-keygen");
    let path = path.to_str().expect("a UTF-8 key path");
    let fixed = ["-q", "-N", "", "-C", "burrow-test", "-f", path];
    run_keygen(&keygen, &[args, &fixed[..]].concat());
}

/// Writes an unencrypted ed25519 key pair with `ssh-keygen` at `path` (and `path.pub`).
pub fn keygen_ed25519(path: &Path) {
    keygen("ed25519", path);
}

/// `path` with `.pub` appended.
pub fn pub_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Converts an OpenSSH private key to Dropbear's format with `dropbearconvert` (same key).
/// `None` when dropbearconvert is missing (see the CI rule).
pub fn to_dropbear(openssh_key: &Path, out: &Path) -> Option<()> {
    let convert = require_binary("dropbearconvert")?;
    let output = Command::new(convert)
        .args(["openssh", "dropbear"])
        .arg(openssh_key)
        .arg(out)
        .output()
        .expect("run dropbearconvert");
    assert!(
        output.status.success(),
        "dropbearconvert {}: {}",
        openssh_key.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(())
}

/// The `type base64` part of an OpenSSH public key file.
pub fn public_key_text(pub_path: &Path) -> String {
    let line = std::fs::read_to_string(pub_path).expect("read public key");
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A known_hosts line for 127.0.0.1:`port` holding the key of `pub_path`.
pub fn known_hosts_line(port: u16, pub_path: &Path) -> String {
    format!("[127.0.0.1]:{port} {}\n", public_key_text(pub_path))
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

/// The real `/usr/bin/ssh-keygen`, looked up once (missing: `None`, or a failure under `CI`).
pub fn ssh_keygen() -> Option<&'static Path> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| require_binary("/usr/bin/ssh-keygen"))
        .as_deref()
}

/// Runs `keygen` with `args`, asserting success, and returns its stdout.
pub fn run_keygen(keygen: &Path, args: &[&str]) -> String {
    let out = Command::new(keygen)
        .args(args)
        .output()
        .expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("ssh-keygen output is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8="), b"hello");
        assert_eq!(base64_decode("aGk"), b"hi");
    }

    #[test]
    fn known_hosts_line_uses_bracketed_port_and_drops_the_comment() {
        let dir = crate::TempDir::new("kit-keys");
        let p = dir.join("k.pub");
        std::fs::write(&p, "ssh-ed25519 AAAAC3Nz comment here\n").unwrap();
        assert_eq!(
            known_hosts_line(2222, &p),
            "[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nz\n"
        );
    }
}
