//! burrow-keys: public keys and signatures (ssh-ed25519, rsa-sha2-256/512, ecdsa-sha2-nistp*,
//! sk-* verification), key pairs and fingerprints: the key material the SSH protocol carries.
//! The OpenSSH file formats (key files, known_hosts, authorized_keys) live in burrow-keyfiles.
#![forbid(unsafe_code)]

mod algorithm;
mod ecdsa;
mod ed25519;
mod error;
mod keypair;
mod public_key;
mod rsa_key;

pub use algorithm::SigAlg;
pub use error::{KeyError, MAX_INPUT_NAME, input_name};
pub use keypair::KeyPair;
pub use public_key::PublicKey;
pub use rsa_key::{MAX_RSA_BITS, MIN_RSA_BITS};

#[cfg(test)]
mod testutil;
