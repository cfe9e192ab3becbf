//! The ciphers and the bcrypt KDF that protect the private section of an openssh-key-v1 file.

use aes::cipher::{KeyIvInit as _, StreamCipher as _};
use aes_gcm::aead::{AeadInOut as _, KeyInit as _};
use zeroize::Zeroizing;

use crate::KeyError;

/// Largest bcrypt round count accepted. `ssh-keygen` writes 16 by default and 100 is a
/// common hardening; each round costs a few milliseconds here, so 1024 bounds the work a
/// hostile file can ask for to a few seconds.
pub const MAX_BCRYPT_ROUNDS: u32 = 1024;
/// Largest bcrypt salt accepted (`ssh-keygen` writes 16 bytes).
pub const MAX_SALT_LEN: usize = 1024;

const KEY_LEN: usize = 32;

/// The cipher named in the file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cipher {
    /// No encryption.
    None,
    /// `aes256-ctr`.
    Aes256Ctr,
    /// `aes256-gcm@openssh.com`: the 16-byte tag follows the encrypted string.
    Aes256Gcm,
}

impl Cipher {
    /// Looks a cipher up by its OpenSSH name.
    pub(crate) fn from_name(name: &[u8]) -> Result<Self, KeyError> {
        match name {
            b"none" => Ok(Self::None),
            b"aes256-ctr" => Ok(Self::Aes256Ctr),
            b"aes256-gcm@openssh.com" => Ok(Self::Aes256Gcm),
            other => Err(KeyError::UnsupportedCipher {
                name: String::from_utf8_lossy(other).into_owned(),
            }),
        }
    }

    /// The OpenSSH name.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Aes256Ctr => "aes256-ctr",
            Self::Aes256Gcm => "aes256-gcm@openssh.com",
        }
    }

    /// The block size the private section is padded to (8 for "none", as OpenSSH).
    pub(crate) fn block_size(self) -> usize {
        match self {
            Self::None => 8,
            Self::Aes256Ctr | Self::Aes256Gcm => 16,
        }
    }

    /// Length of the authentication tag after the encrypted string.
    pub(crate) fn tag_len(self) -> usize {
        match self {
            Self::Aes256Gcm => 16,
            Self::None | Self::Aes256Ctr => 0,
        }
    }

    fn iv_len(self) -> usize {
        match self {
            Self::None => 0,
            Self::Aes256Ctr => 16,
            Self::Aes256Gcm => 12,
        }
    }
}

/// The key derivation named in the file header, with its options.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Kdf {
    None,
    Bcrypt { salt: Vec<u8>, rounds: u32 },
}

impl Kdf {
    /// Decodes the KDF name and its options string, applying the limits above.
    pub(crate) fn parse(name: &[u8], options: &[u8]) -> Result<Self, KeyError> {
        match name {
            b"none" if options.is_empty() => Ok(Self::None),
            b"none" => Err(KeyError::Decode(burrow_wire::DecodeError::new(
                "private key kdfoptions",
                burrow_wire::DecodeErrorKind::TrailingBytes {
                    count: options.len(),
                },
            ))),
            b"bcrypt" => {
                let mut r = burrow_wire::Reader::new(options);
                let salt = r.string("bcrypt kdfoptions.salt")?;
                let rounds = r.uint32("bcrypt kdfoptions.rounds")?;
                r.finish("bcrypt kdfoptions")?;
                if salt.is_empty() || salt.len() > MAX_SALT_LEN {
                    return Err(KeyError::KdfSaltLength { len: salt.len() });
                }
                if rounds == 0 || rounds > MAX_BCRYPT_ROUNDS {
                    return Err(KeyError::KdfRoundsOutOfRange {
                        rounds,
                        limit: MAX_BCRYPT_ROUNDS,
                    });
                }
                Ok(Self::Bcrypt {
                    salt: salt.to_vec(),
                    rounds,
                })
            }
            other => Err(KeyError::UnsupportedKdf {
                name: String::from_utf8_lossy(other).into_owned(),
            }),
        }
    }
}

/// Decrypts `data` in place with the key and IV that the KDF derives from `passphrase`.
/// For `Cipher::None` nothing happens. `tag` is the bytes after the encrypted string.
pub(crate) fn decrypt_in_place(
    cipher: Cipher,
    kdf: &Kdf,
    passphrase: &[u8],
    data: &mut [u8],
    tag: &[u8],
) -> Result<(), KeyError> {
    let (salt, rounds) = match (cipher, kdf) {
        (Cipher::None, Kdf::None) => return Ok(()),
        (Cipher::None, Kdf::Bcrypt { .. }) | (_, Kdf::None) => {
            return Err(KeyError::CipherKdfMismatch);
        }
        (_, Kdf::Bcrypt { salt, rounds }) => (salt, *rounds),
    };
    if passphrase.is_empty() {
        return Err(KeyError::PassphraseRequired);
    }
    let mut key_iv = Zeroizing::new([0u8; KEY_LEN + 16]);
    let want = KEY_LEN + cipher.iv_len();
    let out = key_iv.get_mut(..want).ok_or(KeyError::KdfFailed)?;
    bcrypt_pbkdf::bcrypt_pbkdf(passphrase, salt, rounds, out).map_err(|_| KeyError::KdfFailed)?;
    let (key, iv) = out.split_at(KEY_LEN);
    match cipher {
        Cipher::None => Ok(()),
        Cipher::Aes256Ctr => {
            let mut ctr = ctr::Ctr128BE::<aes::Aes256>::new_from_slices(key, iv)
                .map_err(|_| KeyError::KdfFailed)?;
            ctr.apply_keystream(data);
            Ok(())
        }
        Cipher::Aes256Gcm => {
            let tag: [u8; 16] = tag.try_into().map_err(|_| KeyError::WrongLength {
                what: "aes256-gcm@openssh.com tag",
                expected: 16,
                found: tag.len(),
            })?;
            let nonce: [u8; 12] = iv.try_into().map_err(|_| KeyError::KdfFailed)?;
            let gcm = aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| KeyError::KdfFailed)?;
            gcm.decrypt_inout_detached(&nonce.into(), b"", data.into(), &tag.into())
                .map_err(|_| KeyError::AuthenticationFailed)
        }
    }
}

/// Encrypts `data` in place (the inverse of [`decrypt_in_place`]) and returns the tag
/// (empty unless the cipher is aes256-gcm@openssh.com).
#[cfg(test)]
pub(crate) fn encrypt_in_place(
    cipher: Cipher,
    kdf: &Kdf,
    passphrase: &[u8],
    data: &mut [u8],
) -> Vec<u8> {
    let Kdf::Bcrypt { salt, rounds } = kdf else {
        return Vec::new();
    };
    let mut key_iv = [0u8; KEY_LEN + 16];
    let out = &mut key_iv[..KEY_LEN + cipher.iv_len()];
    bcrypt_pbkdf::bcrypt_pbkdf(passphrase, salt, *rounds, out).unwrap();
    let (key, iv) = out.split_at(KEY_LEN);
    match cipher {
        Cipher::None => Vec::new(),
        Cipher::Aes256Ctr => {
            ctr::Ctr128BE::<aes::Aes256>::new_from_slices(key, iv)
                .unwrap()
                .apply_keystream(data);
            Vec::new()
        }
        Cipher::Aes256Gcm => {
            let nonce: [u8; 12] = iv.try_into().unwrap();
            aes_gcm::Aes256Gcm::new_from_slice(key)
                .unwrap()
                .encrypt_inout_detached(&nonce.into(), b"", data.into())
                .unwrap()
                .to_vec()
        }
    }
}
