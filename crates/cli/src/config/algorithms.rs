//! OpenSSH algorithm lists (`Ciphers`, `MACs`, `KexAlgorithms`, `HostKeyAlgorithms`,
//! `PubkeyAcceptedAlgorithms`) against what burrow
//! implements: names burrow lacks are dropped with a notice instead of failing, so that a
//! crypto-policy include or a legacy `+diffie-hellman-group1-sha1` does not stop every
//! connection. The `+`, `-` and `^` prefixes are kept for the transport to apply.

use burrow_keyfiles::pattern::match_pattern_exact;
use burrow_keys::SigAlg;
use burrow_transport::{CipherAlg, KexAlg, MacAlg, TransportConfig, TransportError};

use super::syntax;

/// OpenSSH's default client cipher order (ssh_config(5)), limited to what burrow
/// implements: the base that `+`, `-` and `^` edit, so that `burrow -G` agrees with `ssh -G`.
pub const OPENSSH_DEFAULT_CIPHERS: &str = "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,\
                                           aes128-gcm@openssh.com,aes256-gcm@openssh.com";

/// One algorithm family: its keyword and the names burrow implements, preferred first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `Ciphers`.
    Ciphers,
    /// `MACs`.
    Macs,
    /// `KexAlgorithms`.
    Kex,
    /// `HostKeyAlgorithms`.
    HostKey,
    /// `PubkeyAcceptedAlgorithms`.
    Pubkey,
}

impl Family {
    /// The ssh_config keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Ciphers => "Ciphers",
            Self::Macs => "MACs",
            Self::Kex => "KexAlgorithms",
            Self::HostKey => "HostKeyAlgorithms",
            Self::Pubkey => "PubkeyAcceptedAlgorithms",
        }
    }

    /// Applies an OpenSSH list of this family (`+`, `-`, `^`, wildcards) to `t`, for
    /// `burrow` and `burrowd` alike; a `PubkeyAcceptedAlgorithms` list is only checked (the
    /// list itself goes to userauth).
    pub fn apply(self, t: &mut TransportConfig, spec: &str) -> Result<(), TransportError> {
        let set = match self {
            Self::Ciphers => syntax::set_ciphers,
            Self::Macs => syntax::set_macs,
            Self::Kex => syntax::set_kex_algorithms,
            Self::HostKey => syntax::set_host_key_algorithms,
            Self::Pubkey => syntax::check_pubkey_algorithms,
        };
        set(t, spec)
    }

    /// Every name burrow implements (what `-Q` lists).
    pub fn supported(self) -> Vec<&'static str> {
        match self {
            Self::Ciphers => CipherAlg::ALL.iter().map(|a| a.name()).collect(),
            Self::Macs => MacAlg::ALL.iter().map(|a| a.name()).collect(),
            Self::Kex => KexAlg::ALL.iter().map(|a| a.name()).collect(),
            Self::Pubkey => SigAlg::ALL.iter().map(|a| a.name()).collect(),
            Self::HostKey => SigAlg::ALL
                .iter()
                .flat_map(|a| [a.cert_name(), a.name()])
                .collect(),
        }
    }
}

/// `spec` with the names (or patterns) that match nothing burrow implements removed, and a
/// notice for each one removed (once per name in `notes`). `None` when nothing is left to
/// apply: the defaults stay (after a notice, unless the list only removed names).
pub fn filter(family: Family, spec: &str, notes: &mut Vec<String>) -> Option<String> {
    let spec = spec.trim();
    let (prefix, list) = match spec.chars().next() {
        Some(c @ ('+' | '-' | '^')) => (spec.get(..1)?, spec.get(c.len_utf8()..)?),
        _ => ("", spec),
    };
    let supported = family.supported();
    let mut kept: Vec<&str> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if supported.iter().any(|s| match_pattern_exact(name, s)) {
            kept.push(name);
        } else if prefix != "-" {
            note(
                notes,
                format!(
                    "{}: {name} is not implemented by burrow; ignored",
                    family.keyword()
                ),
            );
        }
    }
    if kept.is_empty() {
        if prefix.is_empty() {
            note(
                notes,
                format!(
                    "{}: no algorithm of \"{spec}\" is implemented by burrow; using the defaults",
                    family.keyword()
                ),
            );
        }
        return None;
    }
    Some(format!("{prefix}{}", kept.join(",")))
}

fn note(notes: &mut Vec<String>, text: String) {
    if !notes.contains(&text) {
        notes.push(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_certificate_names_are_kept() {
        let mut notes = Vec::new();
        let spec = "ssh-ed25519-cert-v01@openssh.com,ssh-dss-cert-v01@openssh.com,ssh-ed25519";
        assert_eq!(
            filter(Family::HostKey, spec, &mut notes).as_deref(),
            Some("ssh-ed25519-cert-v01@openssh.com,ssh-ed25519")
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
    }

    #[test]
    fn unknown_names_are_dropped_with_one_notice_each() {
        let mut notes = Vec::new();
        let spec = "+diffie-hellman-group1-sha1,curve25519-sha256";
        assert_eq!(
            filter(Family::Kex, spec, &mut notes).as_deref(),
            Some("+curve25519-sha256")
        );
        assert_eq!(
            filter(Family::Kex, "+diffie-hellman-group1-sha1", &mut notes),
            None
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("diffie-hellman-group1-sha1"));
    }

    #[test]
    fn certificate_types_are_dropped_from_signature_lists() {
        let mut notes = Vec::new();
        let spec = "ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ssh-ed25519";
        assert_eq!(
            filter(Family::Pubkey, spec, &mut notes).as_deref(),
            Some("ecdsa-sha2-nistp256,ssh-ed25519")
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("PubkeyAcceptedAlgorithms: ecdsa-sha2-nistp256-cert"));
    }

    #[test]
    fn prefixes_and_patterns_survive() {
        let mut notes = Vec::new();
        assert_eq!(
            filter(
                Family::Ciphers,
                "^aes*-gcm@openssh.com,3des-cbc",
                &mut notes
            )
            .as_deref(),
            Some("^aes*-gcm@openssh.com")
        );
        assert_eq!(
            filter(Family::Ciphers, "-3des-cbc,aes128-ctr", &mut notes).as_deref(),
            Some("-aes128-ctr")
        );
        assert_eq!(
            notes.len(),
            1,
            "a removal of an unknown name is silent: {notes:?}"
        );
        assert_eq!(filter(Family::Macs, "hmac-md5", &mut notes), None);
        assert!(
            notes
                .last()
                .is_some_and(|n| n.contains("using the defaults")),
            "{notes:?}"
        );
    }
}
