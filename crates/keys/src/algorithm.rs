//! `SigAlg`: the public key signature algorithms (RFC 4253 §6.6, RFC 8332, RFC 5656,
//! RFC 8709, OpenSSH PROTOCOL.u2f) and the key type each one signs with.

/// A signature algorithm, as named in KEXINIT's server_host_key_algorithms, in
/// USERAUTH_REQUEST and in signature blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigAlg {
    /// `ssh-ed25519` (RFC 8709).
    Ed25519,
    /// `ecdsa-sha2-nistp256` (RFC 5656).
    EcdsaP256,
    /// `ecdsa-sha2-nistp384`.
    EcdsaP384,
    /// `ecdsa-sha2-nistp521`.
    EcdsaP521,
    /// `sk-ssh-ed25519@openssh.com` (verification only).
    SkEd25519,
    /// `sk-ecdsa-sha2-nistp256@openssh.com` (verification only).
    SkEcdsaP256,
    /// `rsa-sha2-512` (RFC 8332).
    RsaSha512,
    /// `rsa-sha2-256` (RFC 8332).
    RsaSha256,
    /// `ssh-rsa` with SHA-1: off by default, as in OpenSSH 8.8 and later.
    RsaSha1,
}

impl SigAlg {
    /// Every algorithm, in OpenSSH's order of preference.
    pub const ALL: [Self; 9] = [
        Self::Ed25519,
        Self::EcdsaP256,
        Self::EcdsaP384,
        Self::EcdsaP521,
        Self::SkEd25519,
        Self::SkEcdsaP256,
        Self::RsaSha512,
        Self::RsaSha256,
        Self::RsaSha1,
    ];

    /// OpenSSH 9's default `PubkeyAcceptedAlgorithms` (no SHA-1).
    pub const DEFAULT_PUBKEY: [Self; 8] = [
        Self::Ed25519,
        Self::EcdsaP256,
        Self::EcdsaP384,
        Self::EcdsaP521,
        Self::SkEd25519,
        Self::SkEcdsaP256,
        Self::RsaSha512,
        Self::RsaSha256,
    ];

    /// Default `HostKeyAlgorithms`: host keys are never security keys, and no SHA-1.
    pub const DEFAULT_HOST_KEY: [Self; 6] = [
        Self::Ed25519,
        Self::EcdsaP256,
        Self::EcdsaP384,
        Self::EcdsaP521,
        Self::RsaSha512,
        Self::RsaSha256,
    ];

    /// The SSH name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ssh-ed25519",
            Self::EcdsaP256 => "ecdsa-sha2-nistp256",
            Self::EcdsaP384 => "ecdsa-sha2-nistp384",
            Self::EcdsaP521 => "ecdsa-sha2-nistp521",
            Self::SkEd25519 => "sk-ssh-ed25519@openssh.com",
            Self::SkEcdsaP256 => "sk-ecdsa-sha2-nistp256@openssh.com",
            Self::RsaSha512 => "rsa-sha2-512",
            Self::RsaSha256 => "rsa-sha2-256",
            Self::RsaSha1 => "ssh-rsa",
        }
    }

    /// The algorithm named `name`, if burrow implements it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The name of this algorithm over a certificate (PROTOCOL.certkeys):
    /// `ssh-ed25519-cert-v01@openssh.com`, `rsa-sha2-256-cert-v01@openssh.com`, ...
    pub fn cert_name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ssh-ed25519-cert-v01@openssh.com",
            Self::EcdsaP256 => "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            Self::EcdsaP384 => "ecdsa-sha2-nistp384-cert-v01@openssh.com",
            Self::EcdsaP521 => "ecdsa-sha2-nistp521-cert-v01@openssh.com",
            Self::SkEd25519 => "sk-ssh-ed25519-cert-v01@openssh.com",
            Self::SkEcdsaP256 => "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
            Self::RsaSha512 => "rsa-sha2-512-cert-v01@openssh.com",
            Self::RsaSha256 => "rsa-sha2-256-cert-v01@openssh.com",
            Self::RsaSha1 => "ssh-rsa-cert-v01@openssh.com",
        }
    }

    /// The algorithm whose certificate name is `name`, if burrow implements it.
    pub fn from_cert_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.cert_name() == name)
    }

    /// The key type that makes these signatures (the name inside the public key blob).
    pub fn key_type(self) -> &'static str {
        match self {
            Self::RsaSha512 | Self::RsaSha256 | Self::RsaSha1 => "ssh-rsa",
            other => other.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_rsa_signatures_use_the_ssh_rsa_key_type() {
        for alg in SigAlg::ALL {
            assert_eq!(SigAlg::from_name(alg.name()), Some(alg));
        }
        assert_eq!(SigAlg::RsaSha256.key_type(), "ssh-rsa");
        assert_eq!(SigAlg::EcdsaP384.key_type(), "ecdsa-sha2-nistp384");
        assert_eq!(SigAlg::from_name("ssh-dss"), None);
        assert!(!SigAlg::DEFAULT_PUBKEY.contains(&SigAlg::RsaSha1));
        for alg in SigAlg::ALL {
            assert_eq!(SigAlg::from_cert_name(alg.cert_name()), Some(alg));
        }
        assert_eq!(SigAlg::from_cert_name("ssh-ed25519"), None);
    }
}
