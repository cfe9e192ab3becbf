//! `TransportConfig`: algorithm preferences, rekey limits and queue bounds for one side.

use burrow_keys::SigAlg;

use crate::TransportError;
use crate::cipher::{CipherAlg, MacAlg};
use crate::kex::KexAlg;
use crate::rekey::RekeyLimit;

/// Default bound of the rekey hold queue, in payload bytes.
pub const DEFAULT_MAX_HELD_BYTES: usize = 4 << 20;

/// What one side of the transport offers and how it behaves. Shared between connections with
/// `Arc`.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Key exchange methods, most preferred first.
    pub kex_algorithms: Vec<KexAlg>,
    /// Ciphers, most preferred first (both directions).
    pub ciphers: Vec<CipherAlg>,
    /// MACs for non-AEAD ciphers, most preferred first (both directions).
    pub macs: Vec<MacAlg>,
    /// Host key algorithms, most preferred first (a server offers those its keys allow).
    pub host_key_algorithms: Vec<SigAlg>,
    /// Client: whether and where the certificate names of `host_key_algorithms` are offered.
    pub host_certs: HostCerts,
    /// Server: the `server-sig-algs` sent in EXT_INFO (the user key algorithms accepted).
    pub server_sig_algs: Vec<SigAlg>,
    /// When to rekey.
    pub rekey_limit: RekeyLimit,
    /// Client only: in a rekey we start, send the kex init message right after KEXINIT when
    /// the server's previous KEXINIT shows the guess is right (see `start_kex`).
    pub guess_kex: bool,
    /// Bound of the payload bytes held while a key exchange runs; `send_payload` past it fails.
    pub max_held_bytes: usize,
}

/// Where a client offers the host certificate algorithms (`<alg>-cert-v01@openssh.com`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostCerts {
    /// Not at all.
    Never,
    /// After the plain names (no certificate authority is known for the host).
    After,
    /// Before the plain names (a `@cert-authority` line matches the host, as ssh orders).
    First,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            kex_algorithms: KexAlg::ALL.to_vec(),
            ciphers: CipherAlg::ALL.to_vec(),
            macs: MacAlg::ALL.to_vec(),
            host_key_algorithms: SigAlg::DEFAULT_HOST_KEY.to_vec(),
            host_certs: HostCerts::After,
            server_sig_algs: SigAlg::DEFAULT_PUBKEY.to_vec(),
            rekey_limit: RekeyLimit::default(),
            guess_kex: true,
            max_held_bytes: DEFAULT_MAX_HELD_BYTES,
        }
    }
}

impl TransportConfig {
    /// Sets the ciphers from exact names, comma-separated, most preferred first. OpenSSH's
    /// `Ciphers` syntax (`+`, `-`, `^`, wildcards) is the config parser's job.
    pub fn set_ciphers(&mut self, names: &str) -> Result<(), TransportError> {
        self.ciphers = by_names("Ciphers", names, &CipherAlg::ALL, CipherAlg::name)?;
        Ok(())
    }

    /// Sets the MACs from exact names, comma-separated, most preferred first.
    pub fn set_macs(&mut self, names: &str) -> Result<(), TransportError> {
        self.macs = by_names("MACs", names, &MacAlg::ALL, MacAlg::name)?;
        Ok(())
    }

    /// Sets the key exchange methods from exact names, comma-separated, most preferred first.
    pub fn set_kex_algorithms(&mut self, names: &str) -> Result<(), TransportError> {
        self.kex_algorithms = by_names("KexAlgorithms", names, &KexAlg::ALL, KexAlg::name)?;
        Ok(())
    }

    /// Client: moves the host key algorithms whose key type is in `key_types` (what
    /// known_hosts holds for the host) to the front, keeping the order otherwise (OpenSSH's
    /// `order_hostkeyalgs`).
    pub fn prefer_host_key_types(&mut self, key_types: &[String]) {
        let known = |a: &SigAlg| key_types.iter().any(|t| t == a.key_type());
        let (mut first, rest): (Vec<SigAlg>, Vec<SigAlg>) =
            self.host_key_algorithms.iter().partition(|a| known(a));
        first.extend(rest);
        self.host_key_algorithms = first;
    }
}

/// The algorithms of `all` that `names` lists, in its order; a name that is not one of them
/// is an `InvalidConfig` error for `option`.
fn by_names<T: Copy>(
    option: &'static str,
    names: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<Vec<T>, TransportError> {
    names
        .split(',')
        .map(|n| {
            all.iter()
                .copied()
                .find(|&alg| name(alg) == n)
                .ok_or_else(|| TransportError::InvalidConfig {
                    option,
                    value: n.to_owned(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_set_the_lists_in_order() {
        let mut cfg = TransportConfig::default();
        cfg.set_ciphers("aes256-ctr,chacha20-poly1305@openssh.com")
            .unwrap();
        assert_eq!(
            cfg.ciphers,
            [CipherAlg::Aes256Ctr, CipherAlg::Chacha20Poly1305]
        );
        cfg.set_macs("hmac-sha2-512").unwrap();
        assert_eq!(cfg.macs, [MacAlg::HmacSha512]);
        cfg.set_kex_algorithms("curve25519-sha256@libssh.org")
            .unwrap();
        assert_eq!(cfg.kex_algorithms, [KexAlg::Curve25519Sha256Libssh]);
    }

    #[test]
    fn unknown_names_and_openssh_operators_are_refused() {
        let mut cfg = TransportConfig::default();
        for bad in [
            "diffie-hellman-group1-sha1",
            "-curve25519*",
            "",
            "curve25519-sha256,",
        ] {
            assert!(
                matches!(
                    cfg.set_kex_algorithms(bad),
                    Err(TransportError::InvalidConfig {
                        option: "KexAlgorithms",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(cfg.kex_algorithms, KexAlg::ALL);
    }

    #[test]
    fn known_key_types_come_first_in_their_default_order() {
        let mut cfg = TransportConfig::default();
        cfg.prefer_host_key_types(&["ssh-rsa".to_owned()]);
        assert_eq!(
            cfg.host_key_algorithms[..3],
            [SigAlg::RsaSha512, SigAlg::RsaSha256, SigAlg::Ed25519]
        );
    }
}
