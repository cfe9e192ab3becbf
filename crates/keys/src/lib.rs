//! burrow-keys: ssh-ed25519 public keys and signatures, OpenSSH private key files
//! (openssh-key-v1), fingerprints, and the known_hosts and authorized_keys file formats.
#![forbid(unsafe_code)]
