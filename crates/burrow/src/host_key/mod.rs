//! StrictHostKeyChecking as a pure function: from the known_hosts lookup result to accept,
//! accept-and-append, accept-untrusted or refuse, with OpenSSH's exact messages
//! (sshconnect.c `check_host_key`, `warn_changed_key`).
//!
//! The known_hosts file format (parsing, hashing, matching) is burrow-keys' job; this module
//! only decides what to do with its answer.

use burrow_keyfiles::known_hosts::{format_entry, format_hashed_entry, host_name};
use burrow_keyfiles::{HostKeyStatus, KnownHosts};
use burrow_keys::PublicKey;

/// The StrictHostKeyChecking setting (one type for ssh_config and the decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrictHostKeyChecking {
    /// Never add keys; refuse unknown, changed and revoked keys.
    #[default]
    Yes,
    /// Add unknown keys; refuse changed and revoked keys.
    AcceptNew,
    /// Add unknown keys; continue past changed and revoked keys without trusting them.
    No,
    /// Ask on the terminal about unknown keys (ssh's default). The caller asks; [`decide`]
    /// treats it as `Yes` (pass `AcceptNew` once the user agreed).
    Ask,
}

impl StrictHostKeyChecking {
    /// Parses an ssh_config value: `yes`/`true`, `no`/`false`/`off`, `accept-new`, `ask`.
    pub fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(Self::Yes),
            "no" | "false" | "off" => Some(Self::No),
            "accept-new" => Some(Self::AcceptNew),
            "ask" => Some(Self::Ask),
            _ => None,
        }
    }
}

/// What the known_hosts files say about this host and key (filled in from burrow-keys'
/// lookup, with the file each finding came from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownHostLookup {
    /// A line for this host holds exactly this key.
    Known,
    /// Lines for this host hold other keys of the same type; `file:line` is the first.
    Changed {
        /// The file holding the offending line.
        file: String,
        /// Its 1-based line number.
        line: u64,
        /// OpenSSH's type name of the offending key (`ED25519`, `RSA`, `ECDSA`...).
        key_type: String,
    },
    /// A `@revoked` line holds this key.
    Revoked {
        /// The file holding the `@revoked` line.
        file: String,
        /// Its 1-based line number.
        line: u64,
    },
    /// No line for this host holds a key of this type.
    Unknown,
    /// Only `@cert-authority` lines match this host and the server showed a plain key (or a
    /// certificate no CA trusts, checked as its plain key): the key counts as unknown.
    CertAuthorityUnsupported,
}

impl KnownHostLookup {
    /// Translates burrow-keys' lookup in `hosts` (read from `file`) into a policy input.
    pub fn from_status(status: HostKeyStatus, hosts: &KnownHosts, file: &str) -> Self {
        let line_no = |line: usize| u64::try_from(line).unwrap_or(u64::MAX);
        match status {
            HostKeyStatus::Known { .. } => Self::Known,
            HostKeyStatus::Changed { line } => Self::Changed {
                file: file.to_owned(),
                line: line_no(line),
                key_type: hosts
                    .entries
                    .iter()
                    .find(|e| e.line == line)
                    .map_or("unknown", |e| openssh_type_name(e.key.algorithm()))
                    .to_owned(),
            },
            HostKeyStatus::Revoked { line } => Self::Revoked {
                file: file.to_owned(),
                line: line_no(line),
            },
            HostKeyStatus::CertAuthorityUnsupported { .. } => Self::CertAuthorityUnsupported,
            HostKeyStatus::Unknown => Self::Unknown,
        }
    }
}

/// OpenSSH's short type name for a key algorithm (`sshkey_type`).
fn openssh_type_name(algorithm: &str) -> &'static str {
    match algorithm {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" => "RSA",
        "ssh-dss" => "DSA",
        "sk-ssh-ed25519@openssh.com" => "ED25519-SK",
        "sk-ecdsa-sha2-nistp256@openssh.com" => "ECDSA-SK",
        a if a.starts_with("ecdsa-sha2-") => "ECDSA",
        _ => "unknown",
    }
}

/// Everything the decision needs.
#[derive(Debug, Clone)]
pub struct HostKeyCheck<'a> {
    /// The configured policy.
    pub policy: StrictHostKeyChecking,
    /// The host name as the user gave it (or HostKeyAlias).
    pub host: &'a str,
    /// The port connected to.
    pub port: u16,
    /// The key the server presented (its signature is already verified).
    pub key: &'a PublicKey,
    /// The user's known_hosts file (the first UserKnownHostsFile): where new keys go and
    /// what "Add correct host key in ..." names.
    pub user_known_hosts: &'a str,
    /// The lookup result.
    pub lookup: KnownHostLookup,
    /// For a port other than 22: whether the key is known under the bare host name (the
    /// lookup for port 22). OpenSSH accepts such a key for an otherwise unknown `[host]:port`.
    pub known_without_port: bool,
    /// HashKnownHosts: the 20 random salt bytes for a hashed new line; `None` writes the host
    /// name in clear.
    pub hash_salt: Option<[u8; 20]>,
}

/// What to do with the host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyDecision {
    /// Trusted: go on.
    Accept,
    /// New key accepted: append `line` (with its newline) to `file`, then print `message`.
    AcceptAndAppend {
        /// The file to append to.
        file: String,
        /// The known_hosts line, `[host]:port ssh-ed25519 AAAA...\n`.
        line: String,
        /// `Warning: Permanently added '...' (ED25519) to the list of known hosts.`
        message: String,
    },
    /// StrictHostKeyChecking=no past a changed or revoked key: print `warning` and go on,
    /// but (like OpenSSH) with password, keyboard-interactive and all forwarding disabled.
    AcceptUntrusted {
        /// The lines OpenSSH prints before continuing.
        warning: String,
    },
    /// Refuse the connection after printing `message` (ends `Host key verification failed.`).
    Refuse {
        /// The full text, one line per OpenSSH log line.
        message: String,
    },
}

/// The final line of every refusal (sshconnect2.c `verify_host_key_callback`).
pub const VERIFICATION_FAILED: &str = "Host key verification failed.";

/// Decides what to do with a server's host key, as OpenSSH's `check_host_key` does for a
/// plain (non-certificate) key with CheckHostIP off.
pub fn decide(check: &HostKeyCheck<'_>) -> HostKeyDecision {
    let name = host_name(check.host, check.port);
    match &check.lookup {
        KnownHostLookup::Known => HostKeyDecision::Accept,
        KnownHostLookup::Unknown | KnownHostLookup::CertAuthorityUnsupported
            if check.port != 22 && check.known_without_port =>
        {
            HostKeyDecision::Accept
        }
        KnownHostLookup::Unknown | KnownHostLookup::CertAuthorityUnsupported => {
            unknown(check, &name)
        }
        KnownHostLookup::Revoked { .. } => revoked(check, &name),
        KnownHostLookup::Changed {
            file,
            line,
            key_type,
        } => changed(check, &name, file, *line, key_type),
    }
}

fn unknown(check: &HostKeyCheck<'_>, name: &str) -> HostKeyDecision {
    let key_type = check.key.type_label();
    match check.policy {
        StrictHostKeyChecking::Yes | StrictHostKeyChecking::Ask => refuse(vec![format!(
            "No {key_type} host key is known for {name} and you have requested strict checking."
        )]),
        StrictHostKeyChecking::AcceptNew | StrictHostKeyChecking::No => {
            let line = match &check.hash_salt {
                None => format_entry(check.host, check.port, check.key),
                Some(salt) => format_hashed_entry(check.host, check.port, check.key, salt),
            };
            match line {
                Ok(line) => HostKeyDecision::AcceptAndAppend {
                    file: check.user_known_hosts.to_owned(),
                    line: format!("{line}\n"),
                    message: format!(
                        "Warning: Permanently added '{name}' ({key_type}) to the list of known hosts."
                    ),
                },
                Err(e) => refuse(vec![format!(
                    "Failed to add the host to the list of known hosts ({}): {e}",
                    check.user_known_hosts
                )]),
            }
        }
    }
}

fn revoked(check: &HostKeyCheck<'_>, name: &str) -> HostKeyDecision {
    let key_type = check.key.type_label();
    let mut lines = vec![
        BAR.to_owned(),
        "@       WARNING: REVOKED HOST KEY DETECTED!               @".to_owned(),
        BAR.to_owned(),
        format!("The {key_type} host key for {name} is marked as revoked."),
        "This could mean that a stolen key is being used to".to_owned(),
        "impersonate this host.".to_owned(),
    ];
    match check.policy {
        StrictHostKeyChecking::Yes
        | StrictHostKeyChecking::AcceptNew
        | StrictHostKeyChecking::Ask => {
            lines.push(format!(
                "{key_type} host key for {name} was revoked and you have requested strict checking."
            ));
            refuse(lines)
        }
        StrictHostKeyChecking::No => HostKeyDecision::AcceptUntrusted {
            warning: lines.join("\n"),
        },
    }
}

fn changed(
    check: &HostKeyCheck<'_>,
    name: &str,
    file: &str,
    line: u64,
    key_type: &str,
) -> HostKeyDecision {
    let mut lines = vec![
        BAR.to_owned(),
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @".to_owned(),
        BAR.to_owned(),
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!".to_owned(),
        "Someone could be eavesdropping on you right now (man-in-the-middle attack)!".to_owned(),
        "It is also possible that a host key has just been changed.".to_owned(),
        format!(
            "The fingerprint for the {} key sent by the remote host is",
            check.key.type_label()
        ),
        format!("{}.", check.key.fingerprint()),
        "Please contact your system administrator.".to_owned(),
        format!(
            "Add correct host key in {} to get rid of this message.",
            check.user_known_hosts
        ),
        format!("Offending {key_type} key in {file}:{line}"),
    ];
    match check.policy {
        StrictHostKeyChecking::Yes
        | StrictHostKeyChecking::AcceptNew
        | StrictHostKeyChecking::Ask => {
            lines.push(format!(
                "Host key for {name} has changed and you have requested strict checking."
            ));
            refuse(lines)
        }
        StrictHostKeyChecking::No => HostKeyDecision::AcceptUntrusted {
            warning: lines.join("\n"),
        },
    }
}

const BAR: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

fn refuse(mut lines: Vec<String>) -> HostKeyDecision {
    lines.push(VERIFICATION_FAILED.to_owned());
    HostKeyDecision::Refuse {
        message: lines.join("\n"),
    }
}

#[cfg(test)]
mod tests;
