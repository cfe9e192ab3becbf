//! burrow-keyfiles: the OpenSSH file formats around the keys of burrow-keys: private key files
//! (openssh-key-v1), public key lines, known_hosts, authorized_keys and OpenSSH's `*`/`?`
//! pattern lists, key revocation lists. Text in, typed values out; no I/O.
#![forbid(unsafe_code)]

pub mod authorized_keys;
mod error;
pub mod known_hosts;
pub mod krl;
mod line_warning;
pub mod pattern;
pub mod private_key;
pub mod public_key_line;

pub use authorized_keys::{AuthorizedKeys, ExpiryTime, KeyLookup, KeyOptions, find_key};
pub use burrow_keys::KeyError;
pub use error::KeyFileError;
pub use known_hosts::{HostKeyStatus, KnownHosts};
pub use krl::{Krl, KrlError, RevokedKeys};
pub use line_warning::LineWarning;
pub use pattern::{match_pattern, match_pattern_list};
pub use private_key::{PrivateKey, PrivateKeyFile, encode_unencrypted};
pub use public_key_line::{KeyBlob, PublicKeyLine, parse_public_key_line};

use burrow_keys::{KeyPair, PublicKey, SigAlg};

#[cfg(test)]
mod testutil;
