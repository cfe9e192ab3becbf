//! `KeyError`: the one error type of burrow-keys, saying what was wrong with a key, a
//! signature or a key file.

use core::fmt;

use burrow_wire::DecodeError;

/// Everything that can go wrong while reading keys, key files or signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// A blob or file section did not decode (truncated, trailing bytes, ...).
    Decode(DecodeError),
    /// The key (or signature) names an algorithm burrow does not implement.
    UnsupportedKeyType {
        /// The algorithm name as it appeared in the input.
        name: String,
    },
    /// A signature blob names another algorithm than expected, or the algorithm does not
    /// belong to the key's type.
    SignatureAlgorithmMismatch {
        /// The algorithm name found (in the blob, or asked for).
        found: String,
        /// The algorithm (or key type) expected.
        expected: &'static str,
    },
    /// An RSA modulus is shorter than the minimum (OpenSSH's `RequiredRSASize`).
    RsaKeyTooSmall {
        /// The modulus length in bits.
        bits: usize,
        /// The minimum in bits.
        min: usize,
    },
    /// A security key signature lacks the user-presence flag (PROTOCOL.u2f).
    UserPresenceMissing,
    /// The private key operation failed.
    SigningFailed,
    /// A field has the wrong length (`what` names it).
    WrongLength {
        /// The field.
        what: &'static str,
        /// The length the format requires.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The key material is not a valid key (not a curve point, bad RSA parameters).
    InvalidPublicKey,
    /// The signature does not verify under the key.
    SignatureVerificationFailed,
    /// The decrypted check-ints differ: the passphrase is wrong or the file is corrupt.
    WrongPassphrase,
    /// Text that should be base64 is not.
    InvalidBase64 {
        /// The field being decoded.
        what: &'static str,
    },
    /// The text is not an OpenSSH private key file (missing or mismatched armour lines).
    NotOpensshPrivateKey,
    /// The key file's binary body does not start with `openssh-key-v1\0`.
    BadMagic,
    /// The key file uses a cipher burrow does not implement.
    UnsupportedCipher {
        /// The cipher name from the file.
        name: String,
    },
    /// The key file uses a KDF burrow does not implement.
    UnsupportedKdf {
        /// The KDF name from the file.
        name: String,
    },
    /// The file says "no cipher" with a KDF, or a cipher without a KDF.
    CipherKdfMismatch,
    /// The bcrypt rounds are outside the accepted range.
    KdfRoundsOutOfRange {
        /// The rounds in the file.
        rounds: u32,
        /// The largest count accepted.
        limit: u32,
    },
    /// The bcrypt salt length is outside the accepted range.
    KdfSaltLength {
        /// The salt length in the file.
        len: usize,
    },
    /// The key file holds a number of keys other than one.
    KeyCount {
        /// The count in the file.
        count: u32,
    },
    /// The key file is encrypted and no passphrase was given.
    PassphraseRequired,
    /// The encrypted section's length is not a multiple of the cipher's block size.
    BadCiphertextLength {
        /// The length found.
        len: usize,
        /// The block size.
        block: usize,
    },
    /// The authentication tag of an aes256-gcm@openssh.com key file did not verify.
    AuthenticationFailed,
    /// The padding after the private key is not 1, 2, 3, ...
    BadPadding,
    /// The private key section disagrees with itself or with the public key.
    KeyMismatch,
    /// The KDF failed (bad parameters).
    KdfFailed,
    /// The key type word in the text and the name inside the blob differ.
    KeyTypeMismatch {
        /// The type word in the text.
        text: String,
        /// The type name inside the blob.
        blob: String,
    },
    /// A key line has no key type or no base64 key.
    MissingKey,
    /// A known_hosts line starts with an `@` word other than `@revoked`/`@cert-authority`.
    InvalidMarker {
        /// The word found.
        marker: String,
    },
    /// A hashed known_hosts host field is not `|1|base64(20 bytes)|base64(20 bytes)`.
    BadHostHash,
    /// A host name cannot be written to known_hosts (empty, whitespace, `,`, wildcards...).
    InvalidHostName {
        /// The host name given.
        host: String,
    },
    /// An authorized_keys option is malformed, unknown or repeated.
    BadOption {
        /// The option name (as written, up to 64 characters).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The most characters of a name from the input (a key type, a marker, an option) that an
/// error keeps; the rest is cut, so a hostile blob cannot make a huge error message.
pub const MAX_INPUT_NAME: usize = 64;

/// A name from the input for an error: lossy UTF-8, at most [`MAX_INPUT_NAME`] characters.
pub fn input_name(raw: &[u8]) -> String {
    // A character is at most 4 bytes: look no further than the characters kept.
    let head = raw.get(..MAX_INPUT_NAME * 4).unwrap_or(raw);
    String::from_utf8_lossy(head)
        .chars()
        .take(MAX_INPUT_NAME)
        .collect()
}

impl KeyError {
    /// True when the error means the passphrase was wrong (or the encrypted key corrupt):
    /// check-ints differ, or the aes256-gcm tag does not verify.
    pub fn is_wrong_passphrase(&self) -> bool {
        matches!(self, Self::WrongPassphrase | Self::AuthenticationFailed)
    }
}

impl From<DecodeError> for KeyError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "malformed key data: {e}"),
            Self::UnsupportedKeyType { name } => {
                write!(f, "unsupported key type {:?}", name)
            }
            Self::SignatureAlgorithmMismatch { found, expected } => {
                write!(
                    f,
                    "signature algorithm {found:?} where {expected:?} was expected"
                )
            }
            Self::RsaKeyTooSmall { bits, min } => write!(
                f,
                "Invalid key length: RSA key of {bits} bits is under RequiredRSASize {min}"
            ),
            Self::UserPresenceMissing => {
                write!(f, "security key signature without user presence")
            }
            Self::SigningFailed => write!(f, "signing failed"),
            Self::WrongLength {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected {expected} bytes, found {found}"),
            Self::InvalidPublicKey => write!(f, "public key is not a valid key of its type"),
            Self::SignatureVerificationFailed => write!(f, "signature verification failed"),
            Self::WrongPassphrase => {
                write!(f, "wrong passphrase or corrupt key (check-ints differ)")
            }
            Self::InvalidBase64 { what } => write!(f, "{what}: invalid base64"),
            Self::NotOpensshPrivateKey => write!(
                f,
                "not an OpenSSH private key (expected \"-----BEGIN OPENSSH PRIVATE KEY-----\" ... \"-----END OPENSSH PRIVATE KEY-----\")"
            ),
            Self::BadMagic => write!(f, "private key does not start with \"openssh-key-v1\""),
            Self::UnsupportedCipher { name } => {
                write!(f, "unsupported private key cipher {name:?}")
            }
            Self::UnsupportedKdf { name } => write!(f, "unsupported private key kdf {name:?}"),
            Self::CipherKdfMismatch => write!(
                f,
                "private key cipher and kdf disagree (one is \"none\", the other is not)"
            ),
            Self::KdfRoundsOutOfRange { rounds, limit } => write!(
                f,
                "bcrypt kdf rounds {rounds} outside the accepted range 1..={limit}"
            ),
            Self::KdfSaltLength { len } => {
                write!(f, "bcrypt kdf salt of {len} bytes is outside 1..=1024")
            }
            Self::KeyCount { count } => {
                write!(
                    f,
                    "private key file holds {count} keys, only 1 is supported"
                )
            }
            Self::PassphraseRequired => write!(f, "private key is encrypted, passphrase required"),
            Self::BadCiphertextLength { len, block } => write!(
                f,
                "encrypted private key section of {len} bytes is not a multiple of {block}"
            ),
            Self::AuthenticationFailed => write!(
                f,
                "wrong passphrase or corrupt key (aes256-gcm tag does not verify)"
            ),
            Self::BadPadding => write!(f, "private key padding is not 1, 2, 3, ..."),
            Self::KeyMismatch => {
                write!(f, "private key does not match its public key")
            }
            Self::KdfFailed => write!(f, "bcrypt kdf failed"),
            Self::KeyTypeMismatch { text, blob } => {
                write!(f, "key type {text:?} in the text but {blob:?} in the blob")
            }
            Self::MissingKey => write!(f, "no key type and base64 key found"),
            Self::InvalidMarker { marker } => write!(
                f,
                "unknown marker {marker:?} (expected \"@revoked\" or \"@cert-authority\")"
            ),
            Self::BadHostHash => write!(
                f,
                "hashed host is not \"|1|<base64 20-byte salt>|<base64 20-byte hash>\""
            ),
            Self::InvalidHostName { host } => {
                write!(f, "host name {host:?} cannot be written to known_hosts")
            }
            Self::BadOption { name, reason } => write!(f, "option {name:?}: {reason}"),
        }
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_keep_at_most_64_characters_and_survive_bad_utf8() {
        assert_eq!(input_name(b"ssh-rsa"), "ssh-rsa");
        assert_eq!(input_name(&[b'a'; 1000]), "a".repeat(MAX_INPUT_NAME));
        assert_eq!(input_name("é".repeat(100).as_bytes()).chars().count(), 64);
        assert_eq!(input_name(b"ab\xffcd"), "ab\u{fffd}cd");
    }
}
