//! `KnownHostsFile`: the default host key check: look the key up in a known_hosts file and
//! apply StrictHostKeyChecking (the policy in [`crate::host_key`]), appending new keys when
//! allowed; host certificates are trusted through `@cert-authority` lines, as ssh does.

use std::io::Write;
use std::path::PathBuf;

use crate::host_key::{
    HostKeyCheck as Check, HostKeyDecision, KnownHostLookup, StrictHostKeyChecking, decide,
};
use burrow_keyfiles::KnownHosts;
use burrow_keyfiles::known_hosts::Marker;
use burrow_keys::{CertType, Certificate, PublicKey};

use crate::client::HostKeyCheck;

/// A known_hosts file with a StrictHostKeyChecking policy (default `accept-new`).
#[derive(Debug, Clone)]
pub struct KnownHostsFile {
    path: PathBuf,
    /// The policy.
    pub policy: StrictHostKeyChecking,
}

impl KnownHostsFile {
    /// The file at `path` with `accept-new`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            policy: StrictHostKeyChecking::AcceptNew,
        }
    }

    /// `~/.ssh/known_hosts` (from `HOME`) with `accept-new`, as ssh uses by default.
    pub fn user_default() -> Option<Self> {
        let home = std::env::var_os("HOME")?;
        Some(Self::new(
            PathBuf::from(home).join(".ssh").join("known_hosts"),
        ))
    }

    /// The same file with another policy.
    pub fn with_policy(mut self, policy: StrictHostKeyChecking) -> Self {
        self.policy = policy;
        self
    }

    /// The file's lines (none when it cannot be read).
    fn read(&self) -> KnownHosts {
        KnownHosts::parse(&std::fs::read_to_string(&self.path).unwrap_or_default())
    }

    fn append(&self, line: &str) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(line.as_bytes())
    }
}

impl HostKeyCheck for KnownHostsFile {
    fn known_key_types(&self, host: &str, port: u16) -> Vec<String> {
        self.read().key_types(host, port)
    }

    fn knows_certificate_authority(&self, host: &str, port: u16) -> bool {
        self.read()
            .marked(host, port, Marker::CertAuthority, None)
            .is_some()
    }

    /// ssh's check of a host certificate: refused when its key or CA is `@revoked`;
    /// trusted when an `@cert-authority` line holds its CA and it is a valid host
    /// certificate for `host` now; otherwise the plain key inside is checked.
    fn check_certificate(&self, host: &str, port: u16, cert: &Certificate) -> bool {
        let hosts = self.read();
        let file = self.path.display();
        for key in [&cert.key, &cert.signature_key] {
            if let Some(e) = hosts.marked(host, port, Marker::Revoked, Some(key)) {
                tracing::error!(
                    "{} key {} is marked as revoked in {file}:{}",
                    key.type_label(),
                    key.fingerprint(),
                    e.line
                );
                return false;
            }
        }
        let ca = Some(&cert.signature_key);
        if let Some(e) = hosts.marked(host, port, Marker::CertAuthority, ca) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            match cert.check(CertType::Host, now, |p| {
                burrow_keyfiles::match_pattern(p, &host.to_ascii_lowercase())
            }) {
                Ok(()) => {
                    tracing::debug!("host certificate trusted by the CA in {file}:{}", e.line);
                    return true;
                }
                Err(e) => tracing::error!("{e}"),
            }
        }
        self.check(host, port, &cert.key)
    }

    fn check(&self, host: &str, port: u16, key: &PublicKey) -> bool {
        let hosts = self.read();
        let file = self.path.display().to_string();
        let lookup = KnownHostLookup::from_status(hosts.check_key(host, port, key), &hosts, &file);
        let known_without_port = port != 22
            && matches!(
                hosts.check_key(host, 22, key),
                burrow_keyfiles::HostKeyStatus::Known { .. }
            );
        let check = Check {
            policy: self.policy,
            host,
            port,
            key,
            user_known_hosts: &file,
            lookup,
            known_without_port,
            hash_salt: None,
        };
        match decide(&check) {
            HostKeyDecision::Accept => true,
            HostKeyDecision::AcceptAndAppend { line, message, .. } => {
                if let Err(e) = self.append(&line) {
                    tracing::warn!(file = %file, error = %e, "could not add the host key");
                }
                tracing::warn!("{message}");
                true
            }
            HostKeyDecision::AcceptUntrusted { warning } => {
                tracing::warn!("{warning}");
                true
            }
            HostKeyDecision::Refuse { message } => {
                tracing::error!("{message}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_new_appends_then_refuses_a_changed_key() {
        let dir = std::env::temp_dir().join(format!("burrow-kh-{}", std::process::id()));
        let path = dir.join("known_hosts");
        let k1 = burrow_keys::KeyPair::from_ed25519_seed(&[1; 32])
            .public_key()
            .clone();
        let k2 = burrow_keys::KeyPair::from_ed25519_seed(&[2; 32])
            .public_key()
            .clone();
        let f = KnownHostsFile::new(path.clone());
        assert!(f.check("example.org", 2222, &k1));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("[example.org]:2222 ssh-ed25519 ")
        );
        assert!(f.check("example.org", 2222, &k1));
        assert!(!f.check("example.org", 2222, &k2));
        let strict = f.clone().with_policy(StrictHostKeyChecking::Yes);
        assert!(!strict.check("other.org", 22, &k1));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A host certificate from ssh-keygen (principals localhost and *.example.com, valid
    /// 2020 to 2040, serial 7) and its CA (crates/keys' certificate fixtures).
    const HOST_CERT: &str = "AAAAKGVjZHNhLXNoYTItbmlzdHAzODQtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgDl3J+pA0V15jR31rJ7zifPy0CkKFqj1BiZpC6wcMSKgAAAAIbmlzdHAzODQAAABhBDAah9lvSwJB0xiWs/+yqQtb4m873pc4svE1G2godXkkvwtfaTVQ3d9y0Qy6tVVfULF3+Yqdf+edzAn1ceSSarnro2wqQH37MfzhfigPtYC0G9CO39/v/qM0Aaxfp4JecAAAAAAAAAAHAAAAAgAAAAdob3N0LWlkAAAAHgAAAAlsb2NhbGhvc3QAAAANKi5leGFtcGxlLmNvbQAAAABeC+EAAAAAAIOqfoAAAAAAAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIGDd5gR4PLsO44DtDjxQ8UNV8c+MKpsaZVZRTS/45BaqAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEClTIv3uSreDMCSKXb4OVhvyTjgg4OvgBRmQA3HN2ou0rpzcpS/sqeo6ISkhyTG5atjoe3gUemhQWTXzxv0CCQP";
    const CA: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIGDd5gR4PLsO44DtDjxQ8UNV8c+MKpsaZVZRTS/45Baq";

    #[test]
    fn cert_authority_lines_trust_host_certificates() {
        let text = format!("ecdsa-sha2-nistp384-cert-v01@openssh.com {HOST_CERT}");
        let line = burrow_keyfiles::PublicKeyLine::parse(&text).unwrap();
        let cert = Certificate::from_blob(line.key.blob(), &burrow_keys::SigAlg::ALL).unwrap();
        let dir = std::env::temp_dir().join(format!("burrow-kh-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("known_hosts");
        let f = KnownHostsFile::new(path.clone()).with_policy(StrictHostKeyChecking::Yes);
        let line = |hosts: &str| format!("@cert-authority {hosts} ssh-ed25519 {CA}\n");
        std::fs::write(&path, line("*.example.com")).unwrap();
        assert!(f.knows_certificate_authority("db.example.com", 22));
        assert!(!f.knows_certificate_authority("db.example.org", 22));
        // A principal of the certificate, under the CA's pattern.
        assert!(f.check_certificate("db.example.com", 22, &cert));
        // Not a principal: falls back to the plain key, unknown under `yes`.
        std::fs::write(&path, line("*")).unwrap();
        assert!(!f.check_certificate("other.org", 22, &cert));
        assert!(f.check_certificate("localhost", 22, &cert));
        // A revoked CA refuses even a valid certificate.
        let revoked = format!("{}@revoked * ssh-ed25519 {CA}\n", line("*"));
        std::fs::write(&path, revoked).unwrap();
        assert!(!f.check_certificate("localhost", 22, &cert));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
