//! burrowd's host keys: generating one (`--generate-host-key`, ed25519), loading one of any
//! type, and the default key under the user's state directory, created on first run.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use burrow_keyfiles::{PrivateKeyFile, encode_unencrypted};
use burrow_keys::KeyPair;
use rand_core::RngCore;

/// Writes a new ed25519 key to `path` (mode 0600) and its public line to `path.pub`.
/// Refuses to overwrite an existing file.
pub fn generate(path: &Path) -> Result<KeyPair, String> {
    let mut rng = rand_core::OsRng;
    let key = KeyPair::generate_ed25519(&mut rng);
    let comment = format!("burrowd@{}", hostname());
    let private = encode_unencrypted(&key, &comment, rng.next_u32())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let public = key.public_key().to_openssh_line(&comment) + "\n";
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: {}", dir.display(), crate::sys::strerror(&e)))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {}", path.display(), crate::sys::strerror(&e)))?;
    file.write_all(private.as_bytes())
        .map_err(|e| format!("{}: {}", path.display(), crate::sys::strerror(&e)))?;
    let pub_path = pub_path(path);
    std::fs::write(&pub_path, public)
        .map_err(|e| format!("{}: {}", pub_path.display(), crate::sys::strerror(&e)))?;
    Ok(key)
}

/// `path` with `.pub` appended.
pub fn pub_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Loads an unencrypted OpenSSH private key (ed25519, ECDSA or RSA); the message says what
/// is wrong.
pub fn load(path: &Path) -> Result<KeyPair, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "Could not load host key {}: {}",
            path.display(),
            crate::sys::strerror(&e)
        )
    })?;
    let bad = |e: burrow_keys::KeyError| format!("Could not load host key {}: {e}", path.display());
    let file = PrivateKeyFile::parse(&text).map_err(bad)?;
    Ok(file.decrypt(b"").map_err(bad)?.into_keypair())
}

/// The default host key: `$XDG_STATE_HOME/burrow/host_ed25519`, else
/// `~/.local/state/burrow/host_ed25519`.
pub fn default_path(home: &str) -> PathBuf {
    match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("burrow/host_ed25519"),
        None => PathBuf::from(home).join(".local/state/burrow/host_ed25519"),
    }
}

/// Loads the default host key, generating it on first run.
pub fn load_or_create_default(home: &str) -> Result<(PathBuf, KeyPair), String> {
    let path = default_path(home);
    if path.exists() {
        return load(&path).map(|k| (path, k));
    }
    let key = generate(&path)?;
    tracing::info!(
        "generated host key {} ({})",
        path.display(),
        key.public_key().fingerprint()
    );
    Ok((path, key))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_load_back_and_are_not_overwritten() {
        let dir = std::env::temp_dir().join(format!("burrowd-hk-{}", std::process::id()));
        let path = dir.join("sub/host_ed25519");
        let key = generate(&path).unwrap();
        assert_eq!(load(&path).unwrap().public_key(), key.public_key());
        let line = std::fs::read_to_string(pub_path(&path)).unwrap();
        assert!(line.starts_with("ssh-ed25519 "));
        assert!(generate(&path).is_err());
        let e = load(&dir.join("missing")).unwrap_err();
        assert!(e.contains("No such file or directory"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
