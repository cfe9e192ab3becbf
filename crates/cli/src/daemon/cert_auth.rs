//! User certificates on burrowd, as sshd judges them: a CA from `TrustedUserCAKeys` (principals
//! from `AuthorizedPrincipalsFile`, else the user name) or a `cert-authority` authorized_keys
//! line (its `principals=`, else the user name); then the validity window, the critical options
//! (`source-address` against the client, `force-command` refused: burrowd runs no commands) and
//! the `permit-port-forwarding` extension, without which forwarding is refused.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use burrow::{CertType, Certificate, PublicKey};
use burrow_keyfiles::authorized_keys::from_allows;
use burrow_keyfiles::{AuthorizedKeys, KeyOptions};

use super::auth::{LoginPolicy, secure_path};
use crate::config::sshd_config::expand_user_tokens;
use crate::sys::PasswdEntry;

/// The most bytes of a TrustedUserCAKeys or AuthorizedPrincipalsFile read.
const MAX_FILE: u64 = 1 << 20;

impl LoginPolicy {
    /// The forwarding permissions for user certificate `cert` logging in as `user` from
    /// `peer`, or `None` (with sshd's log line saying why).
    pub fn authorize_certificate(
        &self,
        peer: SocketAddr,
        user: &str,
        cert: &Certificate,
    ) -> Option<KeyOptions> {
        self.rsa_size_ok(&cert.key)?;
        self.rsa_size_ok(&cert.signature_key)?;
        self.not_revoked(&cert.key, Some(cert))?;
        let (account, _as_user) = self.admit(peer, user, &cert.key.fingerprint())?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let ca = &cert.signature_key;
        let ca_shown = format!("{} {}", ca.type_label(), ca.fingerprint());
        let options = if self.trusted_ca(ca) {
            let principals = self.authorized_principals(&account);
            let name = match &principals {
                Some(list) => cert.principals.iter().find(|p| list.contains(p)),
                None => Some(&account.name),
            };
            let Some(name) = name else {
                tracing::info!(
                    "Certificate does not contain an authorized principal (CA {ca_shown})"
                );
                return None;
            };
            valid(cert, now, name)?;
            KeyOptions::unrestricted()
        } else {
            self.cert_authority_line(&account, cert, peer.ip(), now)?
        };
        let options = critical_options(cert, peer.ip(), options)?;
        tracing::debug!(
            "certificate ID {} (serial {}) signed by CA {ca_shown} accepted for {}",
            burrow::printable(&cert.key_id),
            cert.serial,
            burrow::printable(user)
        );
        Some(options)
    }

    /// Whether `ca` is listed in `TrustedUserCAKeys`.
    fn trusted_ca(&self, ca: &PublicKey) -> bool {
        let Some(path) = self.options.trusted_user_ca_keys.as_deref() else {
            return false;
        };
        read_limited(Path::new(path)).is_some_and(|text| {
            text.lines()
                .filter_map(|l| burrow::parse_public_key_line(l.trim()).ok())
                .any(|(k, _)| &k == ca)
        })
    }

    /// The lines of the user's `AuthorizedPrincipalsFile`, if one is set (a missing file
    /// lists nobody). The principal is a line's last word (options before it are ignored).
    fn authorized_principals(&self, account: &PasswdEntry) -> Option<Vec<String>> {
        let file = self.options.authorized_principals_file.as_deref()?;
        if file.eq_ignore_ascii_case("none") {
            return None;
        }
        let expanded = expand_user_tokens(file, &account.name, &account.home);
        let path = if expanded.starts_with('/') {
            expanded
        } else {
            format!("{}/{expanded}", account.home.trim_end_matches('/'))
        };
        if self.options.strict_modes() {
            if let Err(why) = secure_path(Path::new(&path), account) {
                tracing::info!("Authentication refused: {why}");
                return Some(Vec::new());
            }
        }
        let text = read_limited(Path::new(&path)).unwrap_or_default();
        Some(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
                .collect(),
        )
    }

    /// The options of the first `cert-authority` line of the user's authorized_keys naming
    /// the certificate's CA that allows this client now and one of whose principals (its
    /// `principals=`, else the user name) the certificate lists.
    fn cert_authority_line(
        &self,
        account: &PasswdEntry,
        cert: &Certificate,
        client: IpAddr,
        now: u64,
    ) -> Option<KeyOptions> {
        let o = &self.options;
        let offset = burrow::local_utc_offset(now);
        for path in o.authorized_keys_paths(&account.name, &account.home) {
            if o.strict_modes() && secure_path(Path::new(&path), account).is_err() {
                continue;
            }
            let Some(text) = read_limited(Path::new(&path)) else {
                continue;
            };
            let file = AuthorizedKeys::parse(&text);
            let lines = file.entries.into_iter().filter(|e| {
                e.options.cert_authority
                    && e.key.blob() == cert.signature_key.blob()
                    && e.options.from_allows(client)
                    && !e.options.is_expired(now, offset)
            });
            for entry in lines {
                let listed = entry
                    .options
                    .other
                    .iter()
                    .find(|x| x.name == "principals")
                    .and_then(|x| x.value.clone());
                let name = match &listed {
                    Some(list) => cert
                        .principals
                        .iter()
                        .find(|p| list.split(',').any(|l| l == p.as_str())),
                    None => Some(&account.name),
                };
                let Some(name) = name else {
                    tracing::info!(
                        "{path}:{}: certificate principals not in principals=",
                        entry.line
                    );
                    continue;
                };
                valid(cert, now, name)?;
                return Some(entry.options);
            }
        }
        tracing::debug!(
            "certificate CA {} is not trusted for {}",
            cert.signature_key.fingerprint(),
            burrow::printable(&account.name)
        );
        None
    }
}

/// The certificate is a user certificate, valid now and for principal `name`.
fn valid(cert: &Certificate, now: u64, name: &str) -> Option<()> {
    match cert.check(CertType::User, now, |p| p == name) {
        Ok(()) => Some(()),
        Err(why) => {
            tracing::info!(
                "{why} (certificate ID {}, serial {})",
                burrow::printable(&cert.key_id),
                cert.serial
            );
            None
        }
    }
}

/// Applies the critical options and extensions to `options`: `source-address` must allow the
/// client, `force-command` and unknown critical options refuse the login, and without
/// `permit-port-forwarding` nothing may be forwarded.
fn critical_options(
    cert: &Certificate,
    client: IpAddr,
    mut options: KeyOptions,
) -> Option<KeyOptions> {
    for opt in &cert.critical_options {
        let shown = burrow::printable(&opt.name);
        match (opt.name.as_str(), opt.value()) {
            ("source-address", Some(list)) => {
                if !from_allows(list, client) {
                    tracing::info!(
                        "Authentication tried for certificate ID {} with valid certificate but not from a permitted source address ({client}).",
                        burrow::printable(&cert.key_id)
                    );
                    return None;
                }
            }
            ("force-command", Some(command)) => {
                tracing::info!(
                    "Certificate ID {} has force-command \"{}\": refused, burrowd only forwards ports and runs no commands",
                    burrow::printable(&cert.key_id),
                    burrow::printable(command)
                );
                return None;
            }
            _ => {
                tracing::info!("Certificate critical option \"{shown}\" is not supported");
                return None;
            }
        }
    }
    if !cert.has_extension("permit-port-forwarding") {
        options.port_forwarding = false;
    }
    Some(options)
}

/// The file's text, if it can be read and is at most [`MAX_FILE`] bytes.
fn read_limited(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut text = String::new();
    let file = std::fs::File::open(path).ok()?;
    file.take(MAX_FILE).read_to_string(&mut text).ok()?;
    Some(text)
}
