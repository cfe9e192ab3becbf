//! burrowd's `HostCertificate` files: loading them, and a host key signer that also offers
//! each certificate for the host key it certifies.

use std::sync::Arc;

use burrow::{Certificate, PublicKey, SigAlg};
use burrow_keys::KeyError;
use burrow_transport::HostKeySigner;

/// Reads every `HostCertificate` file (a public key line holding a certificate); as sshd, one
/// that does not load is logged and skipped. Done before the sandbox is entered.
pub fn load_all(files: &[String]) -> Vec<(String, Certificate)> {
    files
        .iter()
        .filter_map(|file| match load(file) {
            Ok(cert) => Some((file.clone(), cert)),
            Err(e) => {
                tracing::error!("Could not load host certificate \"{file}\": {e}");
                None
            }
        })
        .collect()
}

fn load(file: &str) -> Result<Certificate, String> {
    let text = std::fs::read_to_string(file).map_err(|e| crate::sys::strerror(&e))?;
    let first = text.lines().next().unwrap_or_default().trim();
    let line = burrow_keyfiles::PublicKeyLine::parse(first).map_err(|e| e.to_string())?;
    Certificate::from_blob(line.key.blob(), &SigAlg::ALL).map_err(|e| e.to_string())
}

/// `keys`, plus the certificates whose key is one of them (sshd: "No matching private key
/// for certificate" for the others). Returns `keys` unchanged when no certificate is left.
pub fn certify(
    keys: Arc<dyn HostKeySigner>,
    certs: Vec<(String, Certificate)>,
) -> Arc<dyn HostKeySigner> {
    let certs: Vec<Certificate> = certs
        .into_iter()
        .filter_map(|(file, cert)| {
            if keys.public_key(cert.key.key_type()) == Some(&cert.key) {
                tracing::debug!(
                    "host certificate {file}: {} {} serial {} id \"{}\"",
                    cert.type_label(),
                    cert.key.fingerprint(),
                    cert.serial,
                    cert.key_id.escape_default()
                );
                Some(cert)
            } else {
                tracing::error!("No matching private key for certificate: {file}");
                None
            }
        })
        .collect();
    if certs.is_empty() {
        return keys;
    }
    Arc::new(CertifiedHostKeys { keys, certs })
}

/// Host keys with certificates for some of them.
struct CertifiedHostKeys {
    keys: Arc<dyn HostKeySigner>,
    certs: Vec<Certificate>,
}

impl HostKeySigner for CertifiedHostKeys {
    fn public_key(&self, key_type: &str) -> Option<&PublicKey> {
        self.keys.public_key(key_type)
    }

    fn certificate(&self, key_type: &str) -> Option<&[u8]> {
        self.certs
            .iter()
            .find(|c| c.key.key_type() == key_type)
            .map(Certificate::blob)
    }

    fn sign(
        &self,
        alg: SigAlg,
        data: &[u8],
        rng: &mut dyn rand_core::CryptoRngCore,
    ) -> Result<Vec<u8>, KeyError> {
        self.keys.sign(alg, data, rng)
    }
}
