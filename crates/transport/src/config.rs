//! `TransportConfig`: algorithm preferences, rekey limits and queue bounds for one side.

use crate::TransportError;
use crate::cipher::{CipherAlg, MacAlg};
use crate::kex::KexAlg;
use crate::prefs::assemble;
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
    /// When to rekey.
    pub rekey_limit: RekeyLimit,
    /// Client only: in a rekey we start, send the kex init message right after KEXINIT when
    /// the server's previous KEXINIT shows the guess is right (see `start_kex`).
    pub guess_kex: bool,
    /// Bound of the payload bytes held while a key exchange runs; `send_payload` past it fails.
    pub max_held_bytes: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            kex_algorithms: KexAlg::ALL.to_vec(),
            ciphers: CipherAlg::ALL.to_vec(),
            macs: MacAlg::ALL.to_vec(),
            rekey_limit: RekeyLimit::default(),
            guess_kex: true,
            max_held_bytes: DEFAULT_MAX_HELD_BYTES,
        }
    }
}

impl TransportConfig {
    /// Applies an OpenSSH `Ciphers` value (`list`, `+list`, `-list`, `^list`, wildcards).
    pub fn set_ciphers(&mut self, spec: &str) -> Result<(), TransportError> {
        self.ciphers = assemble("Ciphers", spec, &CipherAlg::ALL, &self.ciphers, |a| {
            a.name()
        })?;
        Ok(())
    }

    /// Applies an OpenSSH `MACs` value.
    pub fn set_macs(&mut self, spec: &str) -> Result<(), TransportError> {
        self.macs = assemble("MACs", spec, &MacAlg::ALL, &self.macs, |a| a.name())?;
        Ok(())
    }

    /// Applies an OpenSSH `KexAlgorithms` value.
    pub fn set_kex_algorithms(&mut self, spec: &str) -> Result<(), TransportError> {
        self.kex_algorithms = assemble(
            "KexAlgorithms",
            spec,
            &KexAlg::ALL,
            &self.kex_algorithms,
            |a| a.name(),
        )?;
        Ok(())
    }

    /// Applies an OpenSSH `RekeyLimit` value.
    pub fn set_rekey_limit(&mut self, spec: &str) -> Result<(), TransportError> {
        self.rekey_limit = RekeyLimit::parse(spec)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssh_syntax_edits_the_lists() {
        let mut cfg = TransportConfig::default();
        cfg.set_ciphers("-aes*-ctr").unwrap();
        assert_eq!(
            cfg.ciphers,
            [
                CipherAlg::Chacha20Poly1305,
                CipherAlg::Aes128Gcm,
                CipherAlg::Aes256Gcm
            ]
        );
        cfg.set_ciphers("^aes256-ctr").unwrap();
        assert_eq!(cfg.ciphers.first(), Some(&CipherAlg::Aes256Ctr));
        cfg.set_macs("hmac-sha2-512").unwrap();
        assert_eq!(cfg.macs, [MacAlg::HmacSha512]);
        cfg.set_kex_algorithms("curve25519-sha256@libssh.org")
            .unwrap();
        assert_eq!(cfg.kex_algorithms, [KexAlg::Curve25519Sha256Libssh]);
        assert!(
            cfg.set_kex_algorithms("diffie-hellman-group1-sha1")
                .is_err()
        );
        cfg.set_rekey_limit("64K 10m").unwrap();
        assert_eq!(cfg.rekey_limit.bytes, Some(65_536));
    }
}
