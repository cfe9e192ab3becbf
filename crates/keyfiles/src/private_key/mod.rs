//! OpenSSH private key files (openssh-key-v1, OpenSSH PROTOCOL.key): parsing, decryption
//! and writing unencrypted keys, of every type [`KeyPair`] holds.

mod armor;
mod cipher;
#[cfg(test)]
mod tests;

use core::fmt;

use burrow_wire::{Reader, Writer};
use bytes::BytesMut;
use zeroize::{Zeroize as _, Zeroizing};

pub use armor::decode as decode_armor;
use cipher::Kdf;
pub use cipher::{Cipher, MAX_BCRYPT_ROUNDS, MAX_SALT_LEN};

use crate::{KeyError, KeyPair, PublicKey};

/// The magic bytes that open the binary body, including the terminating NUL.
pub const MAGIC: &[u8] = b"openssh-key-v1\0";

/// A parsed OpenSSH private key file whose private section is still encrypted (or, for
/// cipher "none", still unchecked). Holds exactly one key.
pub struct PrivateKeyFile {
    cipher: Cipher,
    kdf: Kdf,
    public_key: PublicKey,
    section: Zeroizing<Vec<u8>>,
    tag: Vec<u8>,
}

impl fmt::Debug for PrivateKeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeyFile")
            .field("cipher", &self.cipher)
            .field("public_key", &self.public_key.fingerprint())
            .finish_non_exhaustive()
    }
}

impl PrivateKeyFile {
    /// Parses the text of a key file (`-----BEGIN OPENSSH PRIVATE KEY-----` ...). Fails with
    /// `UnsupportedKeyType` naming the type for keys burrow does not implement.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        Self::parse_binary(&armor::decode(text)?)
    }

    /// Parses the binary body (after base64 decoding).
    pub fn parse_binary(body: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(body);
        if r.take(MAGIC.len(), "private key magic").ok() != Some(MAGIC) {
            return Err(KeyError::BadMagic);
        }
        let cipher_name = r.string("private key ciphername")?;
        let kdf_name = r.string("private key kdfname")?;
        let kdf_options = r.string("private key kdfoptions")?;
        let count = r.uint32("private key number of keys")?;
        if count != 1 {
            return Err(KeyError::KeyCount { count });
        }
        let public_blob = r.string("private key publickey1")?;
        let section = r.string("private key encrypted section")?;
        let cipher = Cipher::from_name(cipher_name)?;
        let kdf = Kdf::parse(kdf_name, kdf_options)?;
        if (cipher == Cipher::None) != (kdf == Kdf::None) {
            return Err(KeyError::CipherKdfMismatch);
        }
        let public_key = PublicKey::from_blob(public_blob)?;
        let block = cipher.block_size();
        if section.len() < block || section.len() % block != 0 {
            return Err(KeyError::BadCiphertextLength {
                len: section.len(),
                block,
            });
        }
        let tag = r.take(cipher.tag_len(), "private key aes256-gcm tag")?;
        r.finish("private key file")?;
        Ok(Self {
            cipher,
            kdf,
            public_key,
            section: Zeroizing::new(section.to_vec()),
            tag: tag.to_vec(),
        })
    }

    /// True when a passphrase is needed (cipher other than "none").
    pub fn is_encrypted(&self) -> bool {
        self.cipher != Cipher::None
    }

    /// The cipher protecting the private section.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The public key from the file header (readable without the passphrase).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Decrypts and checks the private section: check-ints equal (else `WrongPassphrase`),
    /// key parts consistent, padding 1, 2, 3, .... The passphrase is ignored when the file is
    /// not encrypted; an encrypted file with an empty passphrase is `PassphraseRequired`.
    pub fn decrypt(&self, passphrase: &[u8]) -> Result<PrivateKey, KeyError> {
        let mut data = Zeroizing::new(self.section.to_vec());
        cipher::decrypt_in_place(self.cipher, &self.kdf, passphrase, &mut data, &self.tag)?;
        parse_private_section(&data, self.cipher.block_size(), &self.public_key)
    }
}

/// A decrypted private key with its comment.
#[derive(Debug)]
pub struct PrivateKey {
    keypair: KeyPair,
    comment: String,
    check_int: u32,
}

impl PrivateKey {
    /// The key pair.
    pub fn keypair(&self) -> &KeyPair {
        &self.keypair
    }

    /// Takes the key pair out.
    pub fn into_keypair(self) -> KeyPair {
        self.keypair
    }

    /// The comment stored with the key (invalid UTF-8 replaced by U+FFFD).
    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// The check-int the file was written with.
    pub fn check_int(&self) -> u32 {
        self.check_int
    }
}

/// Reads the decrypted private section of a one-key file.
fn parse_private_section(
    data: &[u8],
    block: usize,
    header_key: &PublicKey,
) -> Result<PrivateKey, KeyError> {
    let mut r = Reader::new(data);
    let check1 = r.uint32("private key checkint 1")?;
    let check2 = r.uint32("private key checkint 2")?;
    if check1 != check2 {
        return Err(KeyError::WrongPassphrase);
    }
    let keypair = KeyPair::read_private(&mut r, header_key)?;
    let comment = r.string("private key comment")?;
    check_padding(r.rest(), block)?;
    Ok(PrivateKey {
        keypair,
        comment: String::from_utf8_lossy(comment).into_owned(),
        check_int: check1,
    })
}

/// Padding must be 1, 2, 3, ... and shorter than one block (what OpenSSH writes).
fn check_padding(padding: &[u8], block: usize) -> Result<(), KeyError> {
    let canonical = padding.len() < block
        && padding
            .iter()
            .zip(1u8..)
            .all(|(&byte, expected)| byte == expected);
    if canonical {
        Ok(())
    } else {
        Err(KeyError::BadPadding)
    }
}

/// A buffer whose contents are zeroized when dropped. It is created with its final capacity,
/// so writing never reallocates and leaves no copy behind.
struct SecretBuf(BytesMut);

impl Drop for SecretBuf {
    fn drop(&mut self) {
        self.0.as_mut().zeroize();
    }
}

/// Writes an unencrypted openssh-key-v1 file for `keypair` (what `ssh-keygen -N ''`
/// writes). `check_int` should be random; it is stored twice.
pub fn encode_unencrypted(
    keypair: &KeyPair,
    comment: &str,
    check_int: u32,
) -> Result<String, KeyError> {
    const BLOCK: usize = 8;
    let public_blob = keypair.public_key().blob();
    // The secret fields are at most about four times the public blob (RSA: n, d, iqmp, p, q).
    let capacity = 4 * public_blob.len() + comment.len() + 64;
    let mut section = SecretBuf(BytesMut::with_capacity(capacity));
    {
        let mut w = Writer::new(&mut section.0);
        w.uint32(check_int).uint32(check_int);
        keypair.write_private(&mut w)?;
        w.utf8(comment);
    }
    let pad_len = (BLOCK - section.0.len() % BLOCK) % BLOCK;
    section.0.extend((1u8..).take(pad_len));
    let total = MAGIC.len() + 3 * 8 + 4 + 4 + public_blob.len() + 4 + section.0.len();
    let mut body = SecretBuf(BytesMut::with_capacity(total));
    Writer::new(&mut body.0)
        .raw(MAGIC)
        .utf8("none")
        .utf8("none")
        .string(b"")
        .uint32(1)
        .string(public_blob)
        .string(&section.0);
    Ok(armor::encode(&body.0))
}
