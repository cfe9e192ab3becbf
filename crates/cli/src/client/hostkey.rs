//! The client's host key check: every UserKnownHostsFile and GlobalKnownHostsFile,
//! StrictHostKeyChecking (with `ask`, the question ssh asks about an unknown host),
//! HostKeyAlias and HashKnownHosts, and the untrusted state OpenSSH enters past a changed
//! key under `StrictHostKeyChecking no` (publickey only, no forwarding).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use burrow::host_key::{HostKeyCheck as Check, HostKeyDecision, KnownHostLookup, decide};
use burrow::{HostKeyCheck, PublicKey};
use burrow_keyfiles::{HostKeyStatus, KnownHosts, RevokedKeys};
use rand_core::RngCore;

use super::prompt;

mod cert;
use crate::config::client::ClientSettings;
use crate::config::ssh_config::StrictHostKeyChecking;

/// What the check left behind for the rest of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// Nothing decided yet, or the key is trusted.
    #[default]
    Trusted,
    /// A changed or revoked key accepted under `no`: publickey only, no forwarding.
    Untrusted,
    /// As `Untrusted`, but ExitOnForwardFailure made it fatal (the key was refused).
    ForwardingFatal,
}

/// known_hosts lookup with ssh's four StrictHostKeyChecking values.
#[derive(Debug)]
pub struct CliHostKeyCheck {
    user_files: Vec<PathBuf>,
    global_files: Vec<PathBuf>,
    strict: StrictHostKeyChecking,
    batch_mode: bool,
    hash: bool,
    alias: Option<String>,
    /// Options an untrusted key turns off: (password, keyboard-interactive, forwards).
    risky: (bool, bool, bool),
    exit_on_forward_failure: bool,
    revoked: Option<PathBuf>,
    /// CASignatureAlgorithms.
    ca_algorithms: Vec<burrow::SigAlg>,
    trust: Mutex<Trust>,
}

impl CliHostKeyCheck {
    /// The check for a connection made with `s`; `forwards` tells whether it carries
    /// `-L`/`-R`/`-D` forwards (the destination does, jump hosts do not).
    pub fn new(s: &ClientSettings, forwards: bool) -> Self {
        Self {
            user_files: s.known_hosts_files.iter().map(PathBuf::from).collect(),
            global_files: s
                .global_known_hosts_files
                .iter()
                .map(PathBuf::from)
                .collect(),
            strict: s.strict_host_key_checking,
            batch_mode: s.batch_mode,
            hash: s.hash_known_hosts,
            alias: s.host_key_alias.clone(),
            risky: (
                s.password_authentication,
                s.kbd_interactive_authentication,
                forwards,
            ),
            exit_on_forward_failure: s.exit_on_forward_failure,
            revoked: s.revoked_host_keys.as_ref().map(PathBuf::from),
            ca_algorithms: s.ca_algorithms.clone(),
            trust: Mutex::new(Trust::Trusted),
        }
    }

    /// What the last check decided.
    pub fn trust(&self) -> Trust {
        *self
            .trust
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_trust(&self, t: Trust) {
        *self
            .trust
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = t;
    }

    /// The combined answer of every known_hosts file, as OpenSSH reads them: a revoked line
    /// anywhere wins, then a matching key, then the first other key for the host.
    fn lookup(&self, host: &str, port: u16, key: &PublicKey) -> (KnownHostLookup, bool) {
        let mut found: Vec<KnownHostLookup> = Vec::new();
        let mut without_port = false;
        for path in self.user_files.iter().chain(&self.global_files) {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let hosts = KnownHosts::parse(&text);
            let status = hosts.check_key(host, port, key);
            found.push(KnownHostLookup::from_status(
                status,
                &hosts,
                &path.display().to_string(),
            ));
            without_port |=
                port != 22 && matches!(hosts.check_key(host, 22, key), HostKeyStatus::Known { .. });
        }
        let pick = |f: fn(&KnownHostLookup) -> bool| found.iter().find(|l| f(l)).cloned();
        let lookup = pick(|l| matches!(l, KnownHostLookup::Revoked { .. }))
            .or_else(|| pick(|l| matches!(l, KnownHostLookup::Known)))
            .or_else(|| pick(|l| matches!(l, KnownHostLookup::Changed { .. })))
            .or_else(|| pick(|l| matches!(l, KnownHostLookup::CertAuthorityUnsupported)))
            .unwrap_or(KnownHostLookup::Unknown);
        (lookup, without_port)
    }

    /// RevokedHostKeys: true (after ssh's message) when `key` (or the certificate `cert`, or
    /// its CA) is revoked by the KRL or key list there, or when the file cannot be read.
    pub(super) fn revoked(&self, key: &PublicKey, cert: Option<&burrow::Certificate>) -> bool {
        let Some(path) = &self.revoked else {
            return false;
        };
        let fp = format!("{} {}", key.type_label(), key.fingerprint());
        let file = path.display();
        let list = std::fs::read(path)
            .map_err(|e| crate::sys::strerror(&e))
            .and_then(|b| RevokedKeys::parse(&b).map_err(|e| e.to_string()));
        match list {
            Ok(list) if list.revokes(key, cert) => {
                tracing::error!("Host key {fp} revoked by file {file}");
                true
            }
            Ok(_) => false,
            Err(e) => {
                tracing::error!("Error checking host key {fp} in revoked keys file {file}: {e}");
                true
            }
        }
    }

    /// `ask` about an unknown key: true to accept (and add) it.
    fn ask(&self, name: &str, key: &PublicKey) -> bool {
        let mut text = format!(
            "The authenticity of host '{name}' can't be established.\n\
             {} key fingerprint is {}.\n\
             This key is not known by any other names.\n\
             Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
            key.type_label(),
            key.fingerprint()
        );
        loop {
            let Some(answer) = prompt::ask(&text, true) else {
                return false;
            };
            let answer = answer.trim();
            if answer.eq_ignore_ascii_case("yes") || answer == key.fingerprint() {
                return true;
            }
            if answer.eq_ignore_ascii_case("no") {
                return false;
            }
            "Please type 'yes', 'no' or the fingerprint: ".clone_into(&mut text);
        }
    }

    /// Past a changed key under `no`: OpenSSH's messages, and the options it turns off.
    fn untrusted(&self) -> bool {
        let (password, kbd, forwards) = self.risky;
        if password {
            tracing::error!(
                "Password authentication is disabled to avoid man-in-the-middle attacks."
            );
        }
        if kbd {
            tracing::error!(
                "Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks."
            );
        }
        if forwards {
            tracing::error!("Port forwarding is disabled to avoid man-in-the-middle attacks.");
        }
        if self.exit_on_forward_failure && (password || kbd || forwards) {
            tracing::error!("Error: forwarding disabled due to host key check failure");
            self.set_trust(Trust::ForwardingFatal);
            return false;
        }
        self.set_trust(Trust::Untrusted);
        true
    }

    /// The check of a plain host key: RevokedHostKeys, then known_hosts and the policy.
    fn check_plain(&self, host: &str, port: u16, key: &PublicKey) -> bool {
        if self.revoked(key, None) {
            return false;
        }
        // HostKeyAlias replaces the name and port in known_hosts, as ssh.
        let (host, port) = self.known_as(host, port);
        let (lookup, known_without_port) = self.lookup(host, port, key);
        self.decide_lookup(host, port, key, lookup, known_without_port)
    }

    /// StrictHostKeyChecking on a known_hosts answer for `key`: asks, appends, warns.
    fn decide_lookup(
        &self,
        host: &str,
        port: u16,
        key: &PublicKey,
        lookup: KnownHostLookup,
        known_without_port: bool,
    ) -> bool {
        let unknown = matches!(
            lookup,
            KnownHostLookup::Unknown | KnownHostLookup::CertAuthorityUnsupported
        ) && !known_without_port;
        let policy = match self.strict {
            StrictHostKeyChecking::Ask if unknown && !self.batch_mode => {
                let name = burrow_keyfiles::known_hosts::host_name(host, port);
                if !self.ask(&name, key) {
                    return false;
                }
                StrictHostKeyChecking::AcceptNew
            }
            p => p,
        };
        let user_file = self
            .user_files
            .first()
            .map_or_else(|| "/dev/null".to_owned(), |p| p.display().to_string());
        let hash_salt = self.hash.then(|| {
            let mut salt = [0u8; 20];
            rand_core::OsRng.fill_bytes(&mut salt);
            salt
        });
        let check = Check {
            policy,
            host,
            port,
            key,
            user_known_hosts: &user_file,
            lookup,
            known_without_port,
            hash_salt,
        };
        match decide(&check) {
            HostKeyDecision::Accept => true,
            HostKeyDecision::AcceptAndAppend { line, message, .. } => {
                self.append(&line);
                tracing::warn!("{message}");
                true
            }
            HostKeyDecision::AcceptUntrusted { warning } => {
                tracing::error!("{warning}");
                self.untrusted()
            }
            HostKeyDecision::Refuse { message } => {
                tracing::error!("{message}");
                false
            }
        }
    }

    fn append(&self, line: &str) {
        let Some(path) = self.user_files.first() else {
            return;
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
            })
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(
                "Failed to add the host to the list of known hosts ({}): {e}",
                path.display()
            );
        }
    }
}

impl HostKeyCheck for CliHostKeyCheck {
    fn known_key_types(&self, host: &str, port: u16) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for path in self.user_files.iter().chain(&self.global_files) {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for t in KnownHosts::parse(&text).key_types(host, port) {
                if !types.contains(&t) {
                    types.push(t);
                }
            }
        }
        types
    }

    fn check(&self, host: &str, port: u16, key: &PublicKey) -> bool {
        self.check_plain(host, port, key)
    }

    fn knows_certificate_authority(&self, host: &str, port: u16) -> bool {
        self.has_cert_authority(host, port)
    }

    fn check_certificate(&self, host: &str, port: u16, cert: &burrow::Certificate) -> bool {
        self.check_certificate_key(host, port, cert)
    }

    fn untrusted(&self) -> bool {
        self.trust() != Trust::Trusted
    }
}
