//! burrow-keys: ssh-ed25519 public keys and signatures, OpenSSH private key files
//! (openssh-key-v1), fingerprints, and the known_hosts and authorized_keys file formats.
#![forbid(unsafe_code)]

pub mod authorized_keys;
pub mod ed25519;
mod error;
pub mod known_hosts;
pub mod pattern;
pub mod private_key;
pub mod public_key_line;

pub use authorized_keys::{AuthorizedKeys, ExpiryTime, KeyLookup, KeyOptions, find_key};
pub use ed25519::{ALGORITHM, Ed25519KeyPair, Ed25519PublicKey};
pub use error::{KeyError, LineWarning};
pub use known_hosts::{HostKeyStatus, KnownHosts};
pub use pattern::{match_pattern, match_pattern_list};
pub use private_key::{PrivateKey, PrivateKeyFile, encode_unencrypted};
pub use public_key_line::{KeyBlob, PublicKeyLine, parse_public_key_line};

#[cfg(test)]
mod testutil;
