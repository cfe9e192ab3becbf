//! Decodes arbitrary bytes as a public key blob (every type: ssh-ed25519, ssh-rsa,
//! ecdsa-sha2-nistp*, sk-*) and checks arbitrary signature blobs against it with every
//! algorithm. Nothing may panic; a key that decodes must re-encode to the same blob, and a
//! signature over random data must never verify.
#![no_main]

use burrow_keys::{PublicKey, SigAlg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: u16 blob length (big-endian), the blob, then the signature blob.
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (blob, signature) = rest.split_at(len);
    let Ok(key) = PublicKey::from_blob(blob) else {
        return;
    };
    assert_eq!(key.blob(), blob);
    assert!(key.fingerprint().starts_with("SHA256:"));
    for alg in SigAlg::ALL {
        let verdict = key.verify(alg, b"fuzzed message", signature);
        assert!(verdict.is_err() || alg.key_type() == key.key_type());
    }
});
