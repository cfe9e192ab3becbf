//! Reads arbitrary bytes as a RevokedKeys file (an OpenSSH KRL, PROTOCOL.krl, or a plain key
//! list) and, when it reads, checks a fixed key and certificate against it. Nothing may
//! panic, and a file over the size limit is refused.
#![no_main]

use burrow_keyfiles::krl::MAX_KRL_BYTES;
use burrow_keyfiles::{Krl, RevokedKeys};
use burrow_keys::{Certificate, PublicKey, SigAlg};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// An ed25519 host certificate (serial 7, ID "host") from ssh-keygen; the seeds in
/// seeds/krl_parse revoke it, its key or its CA in each way a KRL can.
const CERT: &[u8] = include_bytes!("support/krl_host_cert.bin");

fn cert() -> &'static Option<(PublicKey, Certificate)> {
    static CERT_KEY: OnceLock<Option<(PublicKey, Certificate)>> = OnceLock::new();
    CERT_KEY.get_or_init(|| {
        let c = Certificate::from_blob(CERT, &SigAlg::ALL).ok()?;
        Some((c.key.clone(), c))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(revoked) = RevokedKeys::parse(data) else {
        return;
    };
    assert!(data.len() <= MAX_KRL_BYTES);
    if Krl::is_krl(data) {
        assert!(matches!(revoked, RevokedKeys::Krl(_)));
    }
    if let Some((key, cert)) = cert() {
        let _ = revoked.revokes(key, None);
        let _ = revoked.revokes(key, Some(cert));
        let _ = revoked.revokes(&cert.signature_key, None);
    }
});
