//! Arbitrary bytes as the peer's key exchange value, for every method: the client's view of
//! the server's reply value (Q_S, the hybrids' S_REPLY, DH f) and the hybrid server's view of
//! the client's C_INIT (for ECDH-like methods the server runs the client's `agree`). Only
//! typed errors may come out. The client secrets are made once (key generation would
//! dominate each run), and of the DH groups only group14 is used: the value checks are the
//! same code for all three, and a valid value costs a full modular exponentiation.
#![no_main]

#[path = "support/mod.rs"]
mod support;

use burrow_transport::kex::{KexAlg, KexSecret};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CLIENT_SECRETS: Vec<(KexAlg, KexSecret)> = KexAlg::ALL
        .into_iter()
        .filter(|a| !matches!(a, KexAlg::DhGroup16Sha512 | KexAlg::DhGroup18Sha512))
        .filter_map(|alg| alg.client_init(&mut *support::rng(1)).ok().map(|(s, _)| (alg, s)))
        .collect();
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, value)) = data.split_first() else {
        return;
    };
    let index = usize::from(selector & 0x7f) % KexAlg::ALL.len();
    if selector & 0x80 == 0 {
        CLIENT_SECRETS.with(|secrets| {
            if let Some((_, secret)) = secrets.get(index % secrets.len()) {
                if let Ok(k) = secret.agree(value) {
                    assert!(k.encoded().len() >= 4);
                }
            }
        });
    } else if let Some(&alg) = KexAlg::ALL.get(index).filter(|a| {
        matches!(
            a,
            KexAlg::MlKem768X25519Sha256
                | KexAlg::Sntrup761X25519Sha512
                | KexAlg::Sntrup761X25519Sha512OpenSsh
        )
    }) {
        let mut rng = support::rng(u64::from(selector));
        if let Ok((ours, k)) = alg.server_reply(value, &mut *rng) {
            assert!(!ours.is_empty() && k.encoded().len() >= 4);
        }
    }
});
