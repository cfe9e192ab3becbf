//! Decodes arbitrary bytes as an OpenSSH certificate blob (PROTOCOL.certkeys, every
//! implemented key type) and, when it decodes, runs the trust checks on it. Nothing may panic,
//! a certificate keeps its blob, and its lists stay within their limits.
#![no_main]

use burrow_keys::{CertType, Certificate, MAX_OPTIONS, MAX_PRINCIPALS, SigAlg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cert) = Certificate::from_blob(data, &SigAlg::ALL) else {
        return;
    };
    assert_eq!(cert.blob(), data);
    assert!(cert.principals.len() <= MAX_PRINCIPALS);
    assert!(cert.critical_options.len() <= MAX_OPTIONS);
    assert!(cert.extensions.len() <= MAX_OPTIONS);
    for want in [CertType::User, CertType::Host] {
        let _ = cert.check(want, cert.valid_after, |p| p == "user");
    }
    for o in cert.critical_options.iter().chain(&cert.extensions) {
        let _ = o.value();
    }
});
