//! `KeyFileError`: what was wrong with an OpenSSH key file, a public key line, a known_hosts
//! or an authorized_keys line, or with the key inside it ([`KeyError`]).

use core::fmt;

use burrow_keys::KeyError;
use burrow_wire::DecodeError;

/// Everything that can go wrong while reading or writing the OpenSSH file formats.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The key itself (its blob, its private fields) is bad.
    Key(KeyError),
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
    /// The KDF failed (bad parameters).
    KdfFailed,
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

impl KeyFileError {
    /// True when the error means the passphrase was wrong (or the encrypted key corrupt):
    /// check-ints differ, or the aes256-gcm tag does not verify.
    pub fn is_wrong_passphrase(&self) -> bool {
        matches!(self, Self::WrongPassphrase | Self::AuthenticationFailed)
    }
}

impl From<KeyError> for KeyFileError {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

impl From<DecodeError> for KeyFileError {
    fn from(e: DecodeError) -> Self {
        Self::Key(KeyError::Decode(e))
    }
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(e) => e.fmt(f),
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
            Self::KdfFailed => write!(f, "bcrypt kdf failed"),
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

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Key(e) => Some(e),
            _ => None,
        }
    }
}
