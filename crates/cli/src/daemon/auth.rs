//! Who may log in to burrowd: AllowUsers/DenyUsers (with `user@host`), locked and expired
//! accounts, PermitRootLogin, the user's AuthorizedKeysFile lines read with the user's rights,
//! and StrictModes checks on the files' resolved paths, with sshd-style log lines.

use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use burrow::{AuthorizedKeysFile, Certificate, PublicKey};
use burrow_keyfiles::{KeyOptions, RevokedKeys};

use super::privdrop::AsUser;
use crate::config::sshd_config::{PermitRootLogin, SshdOptions};
use crate::sys::{AccountRefusal, PasswdEntry, account_refusal, lookup_user};

/// The part of the configuration that decides logins.
#[derive(Debug, Clone)]
pub struct LoginPolicy {
    /// The options read.
    pub options: SshdOptions,
    /// For the user running burrowd when it is not root: logins as any other user are
    /// refused, since their files are not ours to judge (sshd runs as root).
    pub me: PasswdEntry,
}

impl LoginPolicy {
    /// The authorized_keys options for `key` logging in as `user` from `peer`.
    pub fn authorize(&self, peer: SocketAddr, user: &str, key: &PublicKey) -> Option<KeyOptions> {
        self.rsa_size_ok(key)?;
        self.not_revoked(key, None)?;
        let (account, _as_user) = self.admit(peer, user, &key.fingerprint())?;
        let o = &self.options;
        let ip = peer.ip();
        for path in o.authorized_keys_paths(&account.name, &account.home) {
            if o.strict_modes() {
                if let Err(why) = secure_path(Path::new(&path), &account) {
                    tracing::info!("Authentication refused: {why}");
                    continue;
                }
            }
            if let Some(opts) = AuthorizedKeysFile::new(path.clone().into()).lookup(key, ip) {
                return Some(opts);
            }
        }
        tracing::debug!(
            "publickey {} not in {user}'s authorized keys",
            key.fingerprint()
        );
        None
    }

    /// RequiredRSASize: `None` (with sshd's log line) for an RSA key under it.
    pub(super) fn rsa_size_ok(&self, key: &PublicKey) -> Option<()> {
        match key.check_rsa_size(self.options.required_rsa_size()) {
            Ok(()) => Some(()),
            Err(e) => {
                tracing::info!("refusing {} key: {e}", key.type_label());
                None
            }
        }
    }

    /// RevokedKeys: `None` (with sshd's log line) when `key` (or the certificate `cert`, or
    /// its CA) is revoked there, or when the file cannot be read.
    pub(super) fn not_revoked(&self, key: &PublicKey, cert: Option<&Certificate>) -> Option<()> {
        // No RevokedKeys (or `none`): nothing is revoked.
        let Some(file) = self
            .options
            .revoked_keys
            .as_deref()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
        else {
            return Some(());
        };
        let fp = format!("{} {}", key.type_label(), key.fingerprint());
        let list = std::fs::read(file)
            .map_err(|e| crate::sys::strerror(&e))
            .and_then(|b| RevokedKeys::parse(&b).map_err(|e| e.to_string()));
        match list {
            Ok(list) if !list.revokes(key, cert) => Some(()),
            Ok(_) => {
                tracing::error!("Authentication key {fp} revoked by file {file}");
                None
            }
            Err(e) => {
                tracing::error!(
                    "Error checking authentication key {fp} in revoked keys file {file}: {e}"
                );
                None
            }
        }
    }

    /// The account checks before any key is looked up (PubkeyAuthentication, AllowUsers,
    /// DenyUsers, account state, PermitRootLogin); on success the account, with burrowd
    /// holding the user's identity to read the user's files.
    pub(super) fn admit(
        &self,
        peer: SocketAddr,
        user: &str,
        fingerprint: &str,
    ) -> Option<(PasswdEntry, AsUser)> {
        let (ip, port) = (peer.ip(), peer.port());
        // burrow logs "Accepted/Failed publickey ..." once the outcome is known (after the
        // signature check, not for a query); these are the reasons behind a refusal.
        let shown = burrow::printable(user);
        let fail = |why: &str| {
            tracing::debug!(
                "publickey {fingerprint} refused for {shown} from {ip} port {port}{why}"
            );
            None
        };
        let o = &self.options;
        if !o.pubkey_authentication() {
            return fail(" (PubkeyAuthentication no)");
        }
        if !o.user_allowed(user, ip) {
            return fail(" (not allowed by AllowUsers/DenyUsers)");
        }
        let Some(account) = lookup_user(user) else {
            tracing::info!("Invalid user {shown} from {ip} port {port}");
            return fail(" (invalid user)");
        };
        match account_refusal(user) {
            Some(AccountRefusal::Locked) => {
                tracing::info!("User {shown} not allowed because account is locked");
                return fail(" (account locked)");
            }
            Some(AccountRefusal::Expired) => {
                tracing::info!("Account {shown} has expired");
                return fail(" (account expired)");
            }
            None => {}
        }
        if account.uid == 0
            && matches!(
                o.permit_root_login(),
                PermitRootLogin::No | PermitRootLogin::ForcedCommandsOnly
            )
        {
            return fail(" (PermitRootLogin)");
        }
        if self.me.uid != 0 && account.uid != self.me.uid {
            return fail(" (burrowd runs as another user)");
        }
        // Files are read with the user's rights (sshd's temporarily_use_uid).
        match AsUser::enter(&account) {
            Ok(g) => Some((account, g)),
            Err(e) => {
                tracing::error!("cannot take {user}'s identity to read its files: {e}");
                fail("")
            }
        }
    }
}

/// sshd's StrictModes: symlinks resolved, the file must be a regular file, and it and each
/// directory of its real path up to the (real) home, or `/`, must be owned by the user or
/// root and not writable by group or others. A missing file passes (there is nothing to read).
pub fn secure_path(path: &Path, account: &PasswdEntry) -> Result<(), String> {
    let real = match std::fs::canonicalize(path) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {}", path.display(), crate::sys::strerror(&e))),
    };
    let path = real.as_path();
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let home = std::fs::canonicalize(&account.home).unwrap_or_else(|_| account.home.clone().into());
    let mut current = Some(path);
    while let Some(p) = current {
        let meta = std::fs::metadata(p)
            .map_err(|e| format!("{}: {}", p.display(), crate::sys::strerror(&e)))?;
        if meta.uid() != 0 && meta.uid() != account.uid {
            return Err(format!(
                "bad ownership or modes for {} {}",
                kind(p, path),
                p.display()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "bad ownership or modes for {} {}",
                kind(p, path),
                p.display()
            ));
        }
        if p == home {
            break;
        }
        current = p.parent();
    }
    Ok(())
}

fn kind(p: &Path, file: &Path) -> &'static str {
    if p == file { "file" } else { "directory" }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn strict_modes_refuse_group_or_world_writable_files_and_dirs() {
        let dir = std::env::temp_dir().join(format!("burrowd-sm-{}", std::process::id()));
        let ssh = dir.join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o700)).unwrap();
        let file = ssh.join("authorized_keys");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let me = crate::sys::current_user();
        let account = PasswdEntry {
            home: dir.display().to_string(),
            ..me
        };
        assert_eq!(secure_path(&file, &account), Ok(()));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(secure_path(&file, &account).unwrap_err().contains("file"));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            secure_path(&file, &account)
                .unwrap_err()
                .contains("directory")
        );
        assert_eq!(secure_path(&ssh.join("missing"), &account), Ok(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn strict_modes_check_where_a_symlink_points() {
        let dir = std::env::temp_dir().join(format!("burrowd-sml-{}", std::process::id()));
        let (home, elsewhere) = (dir.join("home"), dir.join("shared"));
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        for d in [&dir, &home, &home.join(".ssh")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // The link itself sits in safe directories; its target is in a world-writable one.
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o777)).unwrap();
        let target = elsewhere.join("keys");
        std::fs::write(&target, "").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = home.join(".ssh/authorized_keys");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let account = PasswdEntry {
            home: home.display().to_string(),
            ..crate::sys::current_user()
        };
        let err = secure_path(&link, &account).unwrap_err();
        assert!(
            err.contains("bad ownership or modes for directory") && err.contains("shared"),
            "{err}"
        );
        // A link to a safe file in the home passes.
        let safe = home.join("keys");
        std::fs::write(&safe, "").unwrap();
        std::fs::set_permissions(&safe, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&safe, &link).unwrap();
        assert_eq!(secure_path(&link, &account), Ok(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
