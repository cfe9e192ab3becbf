//! The client's host key check: known_hosts with StrictHostKeyChecking, including `ask`
//! (the question on the terminal that ssh asks about an unknown host).

use std::path::PathBuf;

use burrow::StrictHostKeyChecking as Policy;
use burrow::{Ed25519PublicKey, HostKeyCheck, KnownHostsFile};
use burrow_keys::{HostKeyStatus, KnownHosts};

use super::prompt;
use crate::config::ssh_config::StrictHostKeyChecking;

/// known_hosts lookup with ssh's four StrictHostKeyChecking values.
#[derive(Debug, Clone)]
pub struct CliHostKeyCheck {
    file: PathBuf,
    strict: StrictHostKeyChecking,
    batch_mode: bool,
}

impl CliHostKeyCheck {
    /// Checks against `file` (the first UserKnownHostsFile; new keys are added there).
    pub fn new(file: PathBuf, strict: StrictHostKeyChecking, batch_mode: bool) -> Self {
        Self {
            file,
            strict,
            batch_mode,
        }
    }

    fn known_hosts(&self, policy: Policy) -> KnownHostsFile {
        KnownHostsFile::new(self.file.clone()).with_policy(policy)
    }

    /// `ask`: an unknown key is put to the user; known, changed and revoked keys are
    /// handled as `yes` does (accepted, refused).
    fn ask(&self, host: &str, port: u16, key: &Ed25519PublicKey) -> bool {
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let status = KnownHosts::parse(&text).check_ed25519(host, port, key);
        if !matches!(status, HostKeyStatus::Unknown) || self.batch_mode {
            return self.known_hosts(Policy::Yes).check(host, port, key);
        }
        let name = if port == 22 {
            host.to_owned()
        } else {
            format!("[{host}]:{port}")
        };
        let question = format!(
            "The authenticity of host '{name}' can't be established.\n\
             ED25519 key fingerprint is {}.\n\
             This key is not known by any other names.\n\
             Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
            key.fingerprint()
        );
        let mut prompt_text = question;
        loop {
            let Some(answer) = prompt::ask(&prompt_text, true) else {
                return self.known_hosts(Policy::Yes).check(host, port, key);
            };
            let answer = answer.trim();
            if answer.eq_ignore_ascii_case("yes") || answer == key.fingerprint() {
                return self.known_hosts(Policy::AcceptNew).check(host, port, key);
            }
            if answer.eq_ignore_ascii_case("no") {
                return false;
            }
            prompt_text = "Please type 'yes', 'no' or the fingerprint: ".to_owned();
        }
    }
}

impl HostKeyCheck for CliHostKeyCheck {
    fn check(&self, host: &str, port: u16, key: &Ed25519PublicKey) -> bool {
        match self.strict {
            StrictHostKeyChecking::Yes => self.known_hosts(Policy::Yes).check(host, port, key),
            StrictHostKeyChecking::AcceptNew => {
                self.known_hosts(Policy::AcceptNew).check(host, port, key)
            }
            StrictHostKeyChecking::No => self.known_hosts(Policy::No).check(host, port, key),
            StrictHostKeyChecking::Ask => self.ask(host, port, key),
        }
    }
}
