//! `PublicKey`: a public key of any implemented type (ssh-ed25519, ssh-rsa, ecdsa-sha2-*,
//! and the FIDO sk-* types), its blob, fingerprint and the one signature check.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use burrow_wire::{Reader, Writer};
use bytes::BytesMut;
use sha2::{Digest as _, Sha256};

use rsa::traits::PublicKeyParts as _;

use crate::ecdsa::EcdsaPublicKey;
use crate::ed25519::Ed25519PublicKey;
use crate::error::input_name;
use crate::{KeyError, SigAlg};

/// `sk-*` signatures must carry this flag (user presence), as OpenSSH requires by default.
const SK_USER_PRESENT: u8 = 0x01;

/// The parsed key material.
#[derive(Clone)]
pub(crate) enum Key {
    Ed25519(Ed25519PublicKey),
    Rsa(rsa::RsaPublicKey),
    Ecdsa(EcdsaPublicKey),
    /// `sk-ssh-ed25519@openssh.com` with its application string.
    SkEd25519(Ed25519PublicKey, Vec<u8>),
    /// `sk-ecdsa-sha2-nistp256@openssh.com` with its application string.
    SkEcdsa(EcdsaPublicKey, Vec<u8>),
}

/// A public key of any type burrow implements, with its wire blob. Two keys are equal when
/// their blobs are.
#[derive(Clone)]
pub struct PublicKey {
    blob: Vec<u8>,
    key: Key,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.blob == other.blob
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.key_type(), self.fingerprint())
    }
}

/// Reads an mpint that must not be negative; returns its magnitude.
pub(crate) fn unsigned<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<&'a [u8], KeyError> {
    let raw = r.string(what)?;
    let m = burrow_wire::Mpint::parse(raw, what)?;
    if m.is_negative() {
        return Err(KeyError::InvalidPublicKey);
    }
    Ok(raw.strip_prefix(&[0]).unwrap_or(raw))
}

/// Reads the key material that follows the type name `name` in a key blob (or, for a
/// certificate, its nonce).
pub(crate) fn read_key(name: &[u8], r: &mut Reader<'_>) -> Result<Key, KeyError> {
    Ok(match name {
        b"ssh-ed25519" => Key::Ed25519(Ed25519PublicKey::from_slice(r.string("ssh-ed25519 key")?)?),
        b"ssh-rsa" => Key::Rsa(crate::rsa_key::public_key(r)?),
        b"sk-ssh-ed25519@openssh.com" => Key::SkEd25519(
            Ed25519PublicKey::from_slice(r.string("sk-ssh-ed25519 key")?)?,
            r.string("sk application")?.to_vec(),
        ),
        b"sk-ecdsa-sha2-nistp256@openssh.com" => {
            let curve = r.string("sk-ecdsa curve")?;
            let point = r.string("sk-ecdsa point")?;
            Key::SkEcdsa(
                EcdsaPublicKey::from_parts(b"ecdsa-sha2-nistp256", curve, point)?,
                r.string("sk application")?.to_vec(),
            )
        }
        n if n.starts_with(b"ecdsa-sha2-") => {
            let curve = r.string("ecdsa curve")?;
            Key::Ecdsa(EcdsaPublicKey::from_parts(
                n,
                curve,
                r.string("ecdsa point")?,
            )?)
        }
        n => {
            return Err(KeyError::UnsupportedKeyType {
                name: input_name(n),
            });
        }
    })
}

impl PublicKey {
    /// Decodes a public key blob (`string type, ...`). Types burrow does not implement give
    /// `UnsupportedKeyType` naming them; RSA keys under [`crate::MIN_RSA_BITS`] give `RsaKeyTooSmall`.
    pub fn from_blob(blob: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let name = r.string("public key blob.algorithm")?;
        let key = read_key(name, &mut r)?;
        r.finish("public key blob")?;
        Ok(Self {
            blob: blob.to_vec(),
            key,
        })
    }

    /// OpenSSH's `RequiredRSASize`: `RsaKeyTooSmall` for an RSA key of fewer than `min`
    /// bits; keys of other types pass.
    pub fn check_rsa_size(&self, min: usize) -> Result<(), KeyError> {
        match &self.key {
            Key::Rsa(k) if k.n().bits() < min => Err(KeyError::RsaKeyTooSmall {
                bits: k.n().bits(),
                min,
            }),
            _ => Ok(()),
        }
    }

    /// Builds the key (and its blob) from parsed material.
    pub(crate) fn from_key(key: Key) -> Self {
        let mut buf = BytesMut::new();
        let mut w = Writer::new(&mut buf);
        match &key {
            Key::Ed25519(k) => {
                w.utf8("ssh-ed25519").string(k.as_bytes());
            }
            Key::Rsa(k) => crate::rsa_key::write_public(k, w.utf8("ssh-rsa")),
            Key::Ecdsa(k) => k.write(w.utf8(k.key_type())),
            Key::SkEd25519(k, app) => {
                w.utf8("sk-ssh-ed25519@openssh.com")
                    .string(k.as_bytes())
                    .string(app);
            }
            Key::SkEcdsa(k, app) => {
                k.write(w.utf8("sk-ecdsa-sha2-nistp256@openssh.com"));
                w.string(app);
            }
        }
        Self {
            blob: buf.to_vec(),
            key,
        }
    }

    pub(crate) fn key(&self) -> &Key {
        &self.key
    }

    /// The wire blob.
    pub fn to_blob(&self) -> Vec<u8> {
        self.blob.clone()
    }

    /// The wire blob, borrowed.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The key type name (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...).
    pub fn key_type(&self) -> &'static str {
        match &self.key {
            Key::Ed25519(_) => "ssh-ed25519",
            Key::Rsa(_) => "ssh-rsa",
            Key::Ecdsa(k) => k.key_type(),
            Key::SkEd25519(..) => "sk-ssh-ed25519@openssh.com",
            Key::SkEcdsa(..) => "sk-ecdsa-sha2-nistp256@openssh.com",
        }
    }

    /// OpenSSH's short type name in messages (`ED25519`, `RSA`, `ECDSA`, `ED25519-SK`, ...).
    pub fn type_label(&self) -> &'static str {
        match &self.key {
            Key::Ed25519(_) => "ED25519",
            Key::Rsa(_) => "RSA",
            Key::Ecdsa(_) => "ECDSA",
            Key::SkEd25519(..) => "ED25519-SK",
            Key::SkEcdsa(..) => "ECDSA-SK",
        }
    }

    /// The signature algorithms this key can verify, in OpenSSH's preference order.
    pub fn algorithms(&self) -> impl Iterator<Item = SigAlg> + '_ {
        SigAlg::ALL
            .into_iter()
            .filter(|a| a.key_type() == self.key_type())
    }

    /// Verifies the signature blob (`string algorithm, string signature`, plus `byte flags,
    /// uint32 counter` for sk-* keys per PROTOCOL.u2f) over `message`. The blob must name
    /// `alg`, and `alg` must belong to this key type. sk-* signatures must show user presence.
    pub fn verify(&self, alg: SigAlg, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let mut r = Reader::new(signature);
        let name = r.string("signature blob.algorithm")?;
        if alg.key_type() != self.key_type() || name != alg.name().as_bytes() {
            return Err(KeyError::SignatureAlgorithmMismatch {
                found: input_name(name),
                expected: alg.name(),
            });
        }
        let sig = r.string("signature blob.signature")?;
        match &self.key {
            Key::SkEd25519(_, app) | Key::SkEcdsa(_, app) => {
                let flags = r.byte("sk signature flags")?;
                let counter = r.uint32("sk signature counter")?;
                r.finish("sk signature blob")?;
                if flags & SK_USER_PRESENT == 0 {
                    return Err(KeyError::UserPresenceMissing);
                }
                let mut data = Sha256::digest(app).to_vec();
                data.push(flags);
                data.extend_from_slice(&counter.to_be_bytes());
                data.extend_from_slice(&Sha256::digest(message));
                match &self.key {
                    Key::SkEd25519(k, _) => k.verify_raw(&data, sig),
                    Key::SkEcdsa(k, _) => k.verify(&data, sig),
                    _ => Err(KeyError::SignatureVerificationFailed),
                }
            }
            key => {
                r.finish("signature blob")?;
                match key {
                    Key::Ed25519(k) => k.verify_raw(message, sig),
                    Key::Rsa(k) => crate::rsa_key::verify(k, alg, message, sig),
                    Key::Ecdsa(k) => k.verify(message, sig),
                    _ => Err(KeyError::SignatureVerificationFailed),
                }
            }
        }
    }

    /// The OpenSSH fingerprint: `SHA256:` and the unpadded base64 of SHA-256 over the blob.
    pub fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&self.blob))
        )
    }

    /// The public key line of `id_*.pub` and authorized_keys: `type AAAA... comment` (no
    /// trailing space when the comment is empty).
    pub fn to_openssh_line(&self, comment: &str) -> String {
        let b64 = STANDARD.encode(&self.blob);
        if comment.is_empty() {
            format!("{} {b64}", self.key_type())
        } else {
            format!("{} {b64} {comment}", self.key_type())
        }
    }
}

#[cfg(test)]
mod tests;
