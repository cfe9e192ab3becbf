//! Tests for public key blobs and the signature check of every type: RFC 8032 vectors,
//! strictness, and fingerprints and key lines as `ssh-keygen` prints them (signatures made by
//! the real `ssh-keygen -Y sign` are checked in burrow-keyfiles' tests/sshsig.rs, which reads
//! the key files).

use super::*;
use crate::KeyPair;
use crate::testutil::{TempDir, run_keygen, ssh_keygen};

/// RFC 8032 §7.1 TEST 1.
const SEED1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const PUB1: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const SIG1: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                    5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn pair1() -> KeyPair {
    KeyPair::from_ed25519_seed(&hex(SEED1).try_into().unwrap())
}

fn blob(parts: &[&[u8]]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let mut w = Writer::new(&mut buf);
    for p in parts {
        w.string(p);
    }
    buf.to_vec()
}

fn sign(pair: &KeyPair, alg: SigAlg, m: &[u8]) -> Vec<u8> {
    pair.sign(alg, m, &mut rand_core::OsRng).unwrap()
}

#[test]
fn rfc8032_test1_blob_and_signature() {
    let pair = pair1();
    let mut expected = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20".to_vec();
    expected.extend(hex(PUB1));
    assert_eq!(pair.public_key().blob(), expected.as_slice());
    let sig = sign(&pair, SigAlg::Ed25519, b"");
    assert_eq!(sig, blob(&[b"ssh-ed25519", &hex(SIG1)]));
    assert_eq!(PublicKey::from_blob(&expected).unwrap(), *pair.public_key());
}

#[test]
fn tampered_or_foreign_signatures_fail() {
    let pair = pair1();
    let key = pair.public_key();
    let sig = sign(&pair, SigAlg::Ed25519, b"exchange hash");
    assert_eq!(key.verify(SigAlg::Ed25519, b"exchange hash", &sig), Ok(()));
    assert_eq!(
        key.verify(SigAlg::Ed25519, b"exchange hasH", &sig),
        Err(KeyError::SignatureVerificationFailed)
    );
    let other = sign(
        &KeyPair::from_ed25519_seed(&[42; 32]),
        SigAlg::Ed25519,
        b"m",
    );
    assert!(key.verify(SigAlg::Ed25519, b"m", &other).is_err());
    let renamed = blob(&[b"rsa-sha2-256", &[0; 64]]);
    assert_eq!(
        key.verify(SigAlg::Ed25519, b"m", &renamed)
            .unwrap_err()
            .to_string(),
        "signature algorithm \"rsa-sha2-256\" where \"ssh-ed25519\" was expected"
    );
    assert!(matches!(
        key.verify(SigAlg::RsaSha256, b"m", &renamed),
        Err(KeyError::SignatureAlgorithmMismatch { .. })
    ));
    let short = blob(&[b"ssh-ed25519", &[0; 63]]);
    assert!(matches!(
        key.verify(SigAlg::Ed25519, b"m", &short),
        Err(KeyError::WrongLength {
            expected: 64,
            found: 63,
            ..
        })
    ));
    let mut trailing = sig.clone();
    trailing.push(0);
    assert!(matches!(
        key.verify(SigAlg::Ed25519, b"exchange hash", &trailing),
        Err(KeyError::Decode(_))
    ));
}

#[test]
fn small_order_public_key_never_verifies() {
    // The identity point (y = 1): strict verification refuses R = identity, S = 0.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let key = PublicKey::from_blob(&blob(&[b"ssh-ed25519", &identity])).unwrap();
    let mut sig = [0u8; 64];
    sig[0] = 1;
    assert_eq!(
        key.verify(SigAlg::Ed25519, b"anything", &blob(&[b"ssh-ed25519", &sig])),
        Err(KeyError::SignatureVerificationFailed)
    );
}

#[test]
fn bad_blobs_are_named_errors_and_truncations_never_panic() {
    let e = PublicKey::from_blob(&blob(&[b"ssh-dss", &[1]])).unwrap_err();
    assert_eq!(e.to_string(), "unsupported key type \"ssh-dss\"");
    let long = "x".repeat(200_000);
    let Err(KeyError::UnsupportedKeyType { name }) =
        PublicKey::from_blob(&blob(&[long.as_bytes()]))
    else {
        panic!("expected UnsupportedKeyType");
    };
    assert_eq!(name.len(), 64);
    assert!(PublicKey::from_blob(&blob(&[b"ecdsa-sha2-nistp256", b"nistp384", &[4; 65]])).is_err());
    assert_eq!(
        PublicKey::from_blob(&blob(&[b"ecdsa-sha2-nistp256", b"nistp256", &[4; 65]])),
        Err(KeyError::InvalidPublicKey)
    );
    let good = pair1().public_key().to_blob();
    for n in 0..good.len() {
        assert!(PublicKey::from_blob(&good[..n]).is_err(), "{n}");
    }
}

#[test]
fn sk_signatures_cover_application_flags_and_counter_and_need_user_presence() {
    // An sk-ssh-ed25519 key whose authenticator is simulated with a plain ed25519 key.
    let inner = KeyPair::from_ed25519_seed(&[9; 32]);
    let point = &inner.public_key().blob()[19..];
    let key =
        PublicKey::from_blob(&blob(&[b"sk-ssh-ed25519@openssh.com", point, b"ssh:"])).unwrap();
    assert_eq!(key.type_label(), "ED25519-SK");
    let sk_sig = |flags: u8| {
        let mut data = Sha256::digest(b"ssh:").to_vec();
        data.push(flags);
        data.extend_from_slice(&7u32.to_be_bytes());
        data.extend_from_slice(&Sha256::digest(b"msg"));
        let raw = sign(&inner, SigAlg::Ed25519, &data);
        let mut r = Reader::new(&raw);
        r.string("alg").unwrap();
        let mut out = blob(&[b"sk-ssh-ed25519@openssh.com", r.string("sig").unwrap()]);
        out.push(flags);
        out.extend_from_slice(&7u32.to_be_bytes());
        out
    };
    assert_eq!(key.verify(SigAlg::SkEd25519, b"msg", &sk_sig(1)), Ok(()));
    assert_eq!(
        key.verify(SigAlg::SkEd25519, b"msg", &sk_sig(0)),
        Err(KeyError::UserPresenceMissing)
    );
    assert_eq!(
        key.verify(SigAlg::SkEd25519, b"other", &sk_sig(1)),
        Err(KeyError::SignatureVerificationFailed)
    );
}

#[test]
fn fingerprint_and_line_equal_ssh_keygen() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("fp");
    let path = dir.path().join("k.pub");
    let key = pair1().public_key().clone();
    std::fs::write(&path, key.to_openssh_line("c") + "\n").unwrap();
    let stdout = run_keygen(keygen, &["-lf", path.to_str().unwrap()]);
    assert_eq!(stdout.split(' ').nth(1).unwrap(), key.fingerprint());
    assert!(
        key.to_openssh_line("")
            .starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI")
    );
    assert_eq!(
        format!("{key:?}"),
        format!("PublicKey(ssh-ed25519 {})", key.fingerprint())
    );
}
