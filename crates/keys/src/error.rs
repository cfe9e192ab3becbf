//! `KeyError`: the one error type of burrow-keys, saying what was wrong with a key or a
//! signature.

use core::fmt;

use burrow_wire::DecodeError;

/// Everything that can go wrong with a key blob, a key pair or a signature.
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
    /// The private key section disagrees with itself or with the public key.
    KeyMismatch,
    /// The key type word in the text and the name inside the blob differ.
    KeyTypeMismatch {
        /// The type word in the text.
        text: String,
        /// The type name inside the blob.
        blob: String,
    },
    /// A certificate is malformed beyond its encoding, or not trusted (OpenSSH's reason).
    Certificate(crate::CertRefusal),
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
            Self::KeyMismatch => {
                write!(f, "private key does not match its public key")
            }
            Self::KeyTypeMismatch { text, blob } => {
                write!(f, "key type {text:?} in the text but {blob:?} in the blob")
            }
            Self::Certificate(r) => write!(f, "{r}"),
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
