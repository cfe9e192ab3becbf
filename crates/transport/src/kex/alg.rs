//! The key exchange methods we speak, their names, and the hash each one uses.

use sha2::{Digest, Sha256, Sha384, Sha512};

/// A key exchange method. Every one is a single round trip: the client sends one value (Q_C,
/// C_INIT or e), the server answers with its host key, one value and a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KexAlg {
    /// `mlkem768x25519-sha256` (draft-ietf-sshm-mlkem-hybrid-kex): ML-KEM-768 and X25519.
    MlKem768X25519Sha256,
    /// `sntrup761x25519-sha512` (draft-josefsson-ntruprime-ssh): sntrup761 and X25519.
    Sntrup761X25519Sha512,
    /// `sntrup761x25519-sha512@openssh.com`, the same method under OpenSSH's earlier name.
    Sntrup761X25519Sha512OpenSsh,
    /// `curve25519-sha256` (RFC 8731).
    Curve25519Sha256,
    /// `curve25519-sha256@libssh.org`, the pre-standard name.
    Curve25519Sha256Libssh,
    /// `ecdh-sha2-nistp256` (RFC 5656).
    EcdhNistp256,
    /// `ecdh-sha2-nistp384`.
    EcdhNistp384,
    /// `ecdh-sha2-nistp521`.
    EcdhNistp521,
    /// `diffie-hellman-group14-sha256` (RFC 8268): the 2048-bit MODP group of RFC 3526.
    DhGroup14Sha256,
    /// `diffie-hellman-group16-sha512`: the 4096-bit group.
    DhGroup16Sha512,
    /// `diffie-hellman-group18-sha512`: the 8192-bit group.
    DhGroup18Sha512,
}

/// The hash of a key exchange method: for the exchange hash H and for key derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KexHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl KexAlg {
    /// Every method, in our default order of preference (the client's; the server leaves out
    /// the [`KexAlg::client_only`] ones).
    pub const ALL: [KexAlg; 11] = [
        KexAlg::MlKem768X25519Sha256,
        KexAlg::Sntrup761X25519Sha512,
        KexAlg::Sntrup761X25519Sha512OpenSsh,
        KexAlg::Curve25519Sha256,
        KexAlg::Curve25519Sha256Libssh,
        KexAlg::EcdhNistp256,
        KexAlg::EcdhNistp384,
        KexAlg::EcdhNistp521,
        KexAlg::DhGroup14Sha256,
        KexAlg::DhGroup16Sha512,
        KexAlg::DhGroup18Sha512,
    ];

    /// The method for a name on the wire.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            KexAlg::MlKem768X25519Sha256 => "mlkem768x25519-sha256",
            KexAlg::Sntrup761X25519Sha512 => "sntrup761x25519-sha512",
            KexAlg::Sntrup761X25519Sha512OpenSsh => "sntrup761x25519-sha512@openssh.com",
            KexAlg::Curve25519Sha256 => "curve25519-sha256",
            KexAlg::Curve25519Sha256Libssh => "curve25519-sha256@libssh.org",
            KexAlg::EcdhNistp256 => "ecdh-sha2-nistp256",
            KexAlg::EcdhNistp384 => "ecdh-sha2-nistp384",
            KexAlg::EcdhNistp521 => "ecdh-sha2-nistp521",
            KexAlg::DhGroup14Sha256 => "diffie-hellman-group14-sha256",
            KexAlg::DhGroup16Sha512 => "diffie-hellman-group16-sha512",
            KexAlg::DhGroup18Sha512 => "diffie-hellman-group18-sha512",
        }
    }

    /// The hash the method uses.
    pub fn hash(self) -> KexHash {
        match self {
            KexAlg::MlKem768X25519Sha256
            | KexAlg::Curve25519Sha256
            | KexAlg::Curve25519Sha256Libssh
            | KexAlg::EcdhNistp256
            | KexAlg::DhGroup14Sha256 => KexHash::Sha256,
            KexAlg::EcdhNistp384 => KexHash::Sha384,
            KexAlg::Sntrup761X25519Sha512
            | KexAlg::Sntrup761X25519Sha512OpenSsh
            | KexAlg::EcdhNistp521
            | KexAlg::DhGroup16Sha512
            | KexAlg::DhGroup18Sha512 => KexHash::Sha512,
        }
    }

    /// Offered by the client only: a server that answered with a large-group modular
    /// exponentiation for anyone who connects would hand out cheap CPU exhaustion, and every
    /// client that speaks these also speaks a modern method.
    pub fn client_only(self) -> bool {
        matches!(
            self,
            KexAlg::DhGroup14Sha256 | KexAlg::DhGroup16Sha512 | KexAlg::DhGroup18Sha512
        )
    }
}

impl KexHash {
    /// The digest of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for part in parts {
                d.update(part);
            }
            d.finalize().to_vec()
        }
        match self {
            KexHash::Sha256 => run::<Sha256>(parts),
            KexHash::Sha384 => run::<Sha384>(parts),
            KexHash::Sha512 => run::<Sha512>(parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kex_names_round_trip() {
        for alg in KexAlg::ALL {
            assert_eq!(KexAlg::from_name(alg.name()), Some(alg));
        }
        assert_eq!(KexAlg::from_name("diffie-hellman-group1-sha1"), None);
    }

    #[test]
    fn digests_have_their_lengths() {
        let lens = [KexHash::Sha256, KexHash::Sha384, KexHash::Sha512]
            .map(|h| h.digest(&[b"a", b"bc"]).len());
        assert_eq!(lens, [32, 48, 64]);
        assert_eq!(
            KexHash::Sha256.digest(&[b"a", b"bc"]),
            KexHash::Sha256.digest(&[b"abc"])
        );
    }
}
