//! burrow-keys: public keys and signatures (ssh-ed25519, rsa-sha2-256/512, ecdsa-sha2-nistp*,
//! sk-* verification), OpenSSH private key files (openssh-key-v1), fingerprints, and the
//! known_hosts and authorized_keys file formats.
#![forbid(unsafe_code)]

mod algorithm;
pub mod authorized_keys;
mod certificate;
mod ecdsa;
mod ed25519;
mod error;
mod keypair;
pub mod known_hosts;
pub mod pattern;
pub mod private_key;
mod public_key;
pub mod public_key_line;
mod rsa_key;

pub use algorithm::SigAlg;
pub use authorized_keys::{AuthorizedKeys, ExpiryTime, KeyLookup, KeyOptions, find_key};
pub use certificate::{
    CertOption, CertRefusal, CertType, Certificate, MAX_OPTIONS, MAX_PRINCIPALS,
};
pub use error::{KeyError, LineWarning};
pub use keypair::KeyPair;
pub use known_hosts::{HostKeyStatus, KnownHosts};
pub use pattern::{match_pattern, match_pattern_list};
pub use private_key::{PrivateKey, PrivateKeyFile, encode_unencrypted};
pub use public_key::PublicKey;
pub use public_key_line::{KeyBlob, PublicKeyLine, parse_public_key_line};
pub use rsa_key::{MAX_RSA_BITS, MIN_RSA_BITS};

#[cfg(test)]
mod testutil;
