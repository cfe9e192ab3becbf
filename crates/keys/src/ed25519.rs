//! ssh-ed25519 keys (RFC 8709): public key blobs, signature blobs, signing and strict
//! verification, and OpenSSH fingerprints.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use burrow_wire::{Reader, Writer};
use bytes::BytesMut;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};
use zeroize::ZeroizeOnDrop;

use crate::KeyError;
use crate::error::input_name;

/// The SSH name of the key and signature algorithm (RFC 8709 §4).
pub const ALGORITHM: &str = "ssh-ed25519";

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An ssh-ed25519 public key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ed25519PublicKey {
    key: VerifyingKey,
}

impl Ed25519PublicKey {
    /// Decodes the public key blob: `string "ssh-ed25519"`, `string key` (32 bytes).
    /// Another algorithm name gives `UnsupportedKeyType` naming it.
    pub fn from_blob(blob: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let name = r.string("public key blob.algorithm")?;
        if name != ALGORITHM.as_bytes() {
            return Err(KeyError::UnsupportedKeyType {
                name: input_name(name),
            });
        }
        let key = r.string("ssh-ed25519 public key")?;
        r.finish("ssh-ed25519 public key blob")?;
        Self::from_slice(key)
    }

    /// Builds a key from a raw 32-byte slice, checking the length.
    pub(crate) fn from_slice(key: &[u8]) -> Result<Self, KeyError> {
        let key: &[u8; PUBLIC_KEY_LEN] = key.try_into().map_err(|_| KeyError::WrongLength {
            what: "ssh-ed25519 public key",
            expected: PUBLIC_KEY_LEN,
            found: key.len(),
        })?;
        Self::from_bytes(key)
    }

    /// Builds a key from its 32 raw bytes; fails if they are not a valid curve point.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(|key| Self { key })
            .map_err(|_| KeyError::InvalidPublicKey)
    }

    /// The 32 raw key bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.key.as_bytes()
    }

    /// Encodes the public key blob: `string "ssh-ed25519"`, `string key`.
    pub fn to_blob(&self) -> Vec<u8> {
        let mut buf = BytesMut::with_capacity(4 + ALGORITHM.len() + 4 + PUBLIC_KEY_LEN);
        Writer::new(&mut buf)
            .utf8(ALGORITHM)
            .string(self.as_bytes());
        buf.to_vec()
    }

    /// Verifies a signature blob (`string "ssh-ed25519"`, `string signature`, 64 bytes) over
    /// `message` with ed25519-dalek's strict verification (no small-order keys, canonical S).
    pub fn verify(&self, message: &[u8], signature_blob: &[u8]) -> Result<(), KeyError> {
        let mut r = Reader::new(signature_blob);
        let name = r.string("signature blob.algorithm")?;
        if name != ALGORITHM.as_bytes() {
            return Err(KeyError::SignatureAlgorithmMismatch {
                found: input_name(name),
            });
        }
        let sig = r.string("ssh-ed25519 signature")?;
        r.finish("ssh-ed25519 signature blob")?;
        let sig: &[u8; SIGNATURE_LEN] = sig.try_into().map_err(|_| KeyError::WrongLength {
            what: "ssh-ed25519 signature",
            expected: SIGNATURE_LEN,
            found: sig.len(),
        })?;
        self.key
            .verify_strict(message, &Signature::from_bytes(sig))
            .map_err(|_| KeyError::SignatureVerificationFailed)
    }

    /// The OpenSSH fingerprint: `SHA256:` and the unpadded base64 of SHA-256 over the blob.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.to_blob());
        format!("SHA256:{}", STANDARD_NO_PAD.encode(digest))
    }

    /// The public key line of `~/.ssh/id_ed25519.pub` and authorized_keys:
    /// `ssh-ed25519 AAAA... comment` (no trailing space when the comment is empty).
    pub fn to_openssh_line(&self, comment: &str) -> String {
        let b64 = STANDARD.encode(self.to_blob());
        if comment.is_empty() {
            format!("{ALGORITHM} {b64}")
        } else {
            format!("{ALGORITHM} {b64} {comment}")
        }
    }
}

/// An ssh-ed25519 key pair. The secret is zeroized on drop and never printed.
#[derive(Clone)]
pub struct Ed25519KeyPair {
    key: SigningKey,
}

// `SigningKey` zeroizes its secret in its own `Drop` (ed25519-dalek's "zeroize" feature).
impl ZeroizeOnDrop for Ed25519KeyPair {}

impl fmt::Debug for Ed25519KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519KeyPair")
            .field("public", &self.public_key().fingerprint())
            .finish_non_exhaustive()
    }
}

impl Ed25519KeyPair {
    /// Builds the key pair from its 32-byte secret seed (RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// Generates a fresh key pair from `rng`.
    pub fn generate(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        Self {
            key: SigningKey::generate(rng),
        }
    }

    /// The public half.
    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// The 32-byte secret seed, for writing key files.
    pub(crate) fn seed(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// Signs `message` and returns the SSH signature blob
    /// (`string "ssh-ed25519"`, `string signature`).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig = self.key.sign(message).to_bytes();
        let mut buf = BytesMut::with_capacity(4 + ALGORITHM.len() + 4 + SIGNATURE_LEN);
        Writer::new(&mut buf).utf8(ALGORITHM).string(&sig);
        buf.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn pair1() -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed(&hex(SEED1).try_into().unwrap())
    }

    #[test]
    fn rfc8032_test1_public_key_and_signature() {
        let pair = pair1();
        assert_eq!(pair.public_key().as_bytes().to_vec(), hex(PUB1));
        let blob = pair.sign(b"");
        let mut r = Reader::new(&blob);
        assert_eq!(r.string("alg").unwrap(), b"ssh-ed25519");
        assert_eq!(r.string("sig").unwrap(), hex(SIG1).as_slice());
        assert!(r.is_empty());
    }

    #[test]
    fn blob_layout_is_rfc8709() {
        let blob = pair1().public_key().to_blob();
        let mut expected = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20".to_vec();
        expected.extend(hex(PUB1));
        assert_eq!(blob, expected);
    }

    #[test]
    fn blob_round_trips() {
        let key = pair1().public_key();
        assert_eq!(Ed25519PublicKey::from_blob(&key.to_blob()).unwrap(), key);
    }

    #[test]
    fn rsa_blob_is_unsupported_key_type_named() {
        let mut buf = BytesMut::new();
        Writer::new(&mut buf).utf8("ssh-rsa").string(&[1, 0, 1]);
        let err = Ed25519PublicKey::from_blob(&buf).unwrap_err();
        assert_eq!(
            err,
            KeyError::UnsupportedKeyType {
                name: "ssh-rsa".into()
            }
        );
        assert_eq!(err.to_string(), "unsupported key type \"ssh-rsa\"");
    }

    #[test]
    fn blob_with_short_key_is_wrong_length() {
        let mut buf = BytesMut::new();
        Writer::new(&mut buf).utf8(ALGORITHM).string(&[7; 31]);
        assert_eq!(
            Ed25519PublicKey::from_blob(&buf).unwrap_err().to_string(),
            "ssh-ed25519 public key: expected 32 bytes, found 31"
        );
    }

    #[test]
    fn blob_with_trailing_bytes_is_rejected() {
        let mut blob = pair1().public_key().to_blob();
        blob.push(0);
        assert!(matches!(
            Ed25519PublicKey::from_blob(&blob),
            Err(KeyError::Decode(_))
        ));
    }

    #[test]
    fn truncated_blob_is_decode_error() {
        let blob = pair1().public_key().to_blob();
        for n in 0..blob.len() {
            assert!(Ed25519PublicKey::from_blob(&blob[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn signature_verifies_and_tampering_fails() {
        let pair = pair1();
        let key = pair.public_key();
        let sig = pair.sign(b"exchange hash");
        assert_eq!(key.verify(b"exchange hash", &sig), Ok(()));
        assert_eq!(
            key.verify(b"exchange hasH", &sig),
            Err(KeyError::SignatureVerificationFailed)
        );
        let mut bad = sig.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.verify(b"exchange hash", &bad).unwrap_err().to_string(),
            "signature verification failed"
        );
    }

    #[test]
    fn signature_under_other_key_fails() {
        let other = Ed25519KeyPair::from_seed(&[42; 32]);
        let sig = other.sign(b"m");
        assert_eq!(
            pair1().public_key().verify(b"m", &sig),
            Err(KeyError::SignatureVerificationFailed)
        );
    }

    #[test]
    fn huge_algorithm_names_from_the_peer_are_cut_in_errors() {
        let long = "x".repeat(200_000);
        let mut buf = BytesMut::new();
        Writer::new(&mut buf).utf8(&long).string(&[0; 64]);
        let Err(KeyError::UnsupportedKeyType { name }) = Ed25519PublicKey::from_blob(&buf) else {
            panic!("expected UnsupportedKeyType");
        };
        assert_eq!(name, "x".repeat(64));
        let Err(KeyError::SignatureAlgorithmMismatch { found }) =
            pair1().public_key().verify(b"m", &buf)
        else {
            panic!("expected SignatureAlgorithmMismatch");
        };
        assert_eq!(found.chars().count(), 64);
    }

    #[test]
    fn signature_with_other_algorithm_is_rejected() {
        let mut buf = BytesMut::new();
        Writer::new(&mut buf).utf8("rsa-sha2-256").string(&[0; 64]);
        assert_eq!(
            pair1().public_key().verify(b"m", &buf),
            Err(KeyError::SignatureAlgorithmMismatch {
                found: "rsa-sha2-256".into()
            })
        );
    }

    #[test]
    fn signature_of_wrong_length_is_rejected() {
        let mut buf = BytesMut::new();
        Writer::new(&mut buf).utf8(ALGORITHM).string(&[0; 63]);
        assert!(matches!(
            pair1().public_key().verify(b"m", &buf),
            Err(KeyError::WrongLength {
                expected: 64,
                found: 63,
                ..
            })
        ));
    }

    #[test]
    fn small_order_public_key_never_verifies() {
        // The identity point (y = 1) has small order; strict verification refuses it even
        // for the "signature" R = identity, S = 0 that a lax verifier would accept.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let key = Ed25519PublicKey::from_bytes(&identity).unwrap();
        let mut sig = [0u8; 64];
        sig[0] = 1;
        let mut buf = BytesMut::new();
        Writer::new(&mut buf).utf8(ALGORITHM).string(&sig);
        assert_eq!(
            key.verify(b"anything", &buf),
            Err(KeyError::SignatureVerificationFailed)
        );
    }

    #[test]
    fn fingerprint_equals_ssh_keygen_l() {
        let Some(keygen) = crate::testutil::ssh_keygen() else {
            return;
        };
        let dir = crate::testutil::TempDir::new("fp");
        let path = dir.path().join("k.pub");
        let key = pair1().public_key();
        std::fs::write(&path, key.to_openssh_line("c") + "\n").unwrap();
        let stdout = crate::testutil::run_keygen(keygen, &["-lf", path.to_str().unwrap()]);
        assert_eq!(stdout.split(' ').nth(1).unwrap(), key.fingerprint());
    }

    #[test]
    fn fingerprint_matches_openssh_format() {
        // ssh-keygen -lf on a file holding this key prints the same string; the digest is
        // computed independently here.
        let key = pair1().public_key();
        let fp = key.fingerprint();
        assert!(fp.starts_with("SHA256:"));
        assert_eq!(fp.len(), 7 + 43);
        assert!(!fp.ends_with('='));
        let digest = Sha256::digest(key.to_blob());
        assert_eq!(STANDARD_NO_PAD.decode(&fp[7..]).unwrap(), digest.to_vec());
    }

    #[test]
    fn openssh_line_has_type_base64_comment() {
        let key = pair1().public_key();
        let line = key.to_openssh_line("me@host");
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts[0], "ssh-ed25519");
        assert!(parts[1].starts_with("AAAAC3NzaC1lZDI1NTE5AAAAI"));
        assert_eq!(STANDARD.decode(parts[1]).unwrap(), key.to_blob());
        assert_eq!(parts[2], "me@host");
        assert_eq!(key.to_openssh_line("").split(' ').count(), 2);
    }

    #[test]
    fn generated_pairs_differ_and_sign() {
        let mut rng = rand_core::OsRng;
        let a = Ed25519KeyPair::generate(&mut rng);
        let b = Ed25519KeyPair::generate(&mut rng);
        assert_ne!(a.public_key(), b.public_key());
        assert!(a.public_key().verify(b"x", &a.sign(b"x")).is_ok());
    }

    #[test]
    fn debug_does_not_print_the_seed() {
        let pair = Ed25519KeyPair::from_seed(&[0xab; 32]);
        let dbg = format!("{pair:?}");
        assert!(dbg.contains("SHA256:"));
        assert!(!dbg.contains("171")); // 0xab
        assert!(!dbg.to_lowercase().contains("abab"));
    }
}
