//! The exchange hash H for curve25519-sha256 (RFC 8731 §3, RFC 5656 §4).

use burrow_wire::{Mpint, Writer};
use bytes::BytesMut;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use super::{HASH_LEN, SharedSecret};

/// Everything the exchange hash covers, in the order it is hashed.
pub struct ExchangeHashInput<'a> {
    /// V_C: the client's version line without CR LF.
    pub client_version: &'a [u8],
    /// V_S: the server's version line without CR LF.
    pub server_version: &'a [u8],
    /// I_C: the payload of the client's KEXINIT (message number included).
    pub client_kexinit: &'a [u8],
    /// I_S: the payload of the server's KEXINIT.
    pub server_kexinit: &'a [u8],
    /// K_S: the server's host key blob.
    pub host_key: &'a [u8],
    /// Q_C: the client's ephemeral public key.
    pub client_ephemeral: &'a [u8],
    /// Q_S: the server's ephemeral public key.
    pub server_ephemeral: &'a [u8],
    /// K: the shared secret.
    pub shared_secret: &'a SharedSecret,
}

/// H = SHA-256(string V_C || string V_S || string I_C || string I_S || string K_S ||
/// string Q_C || string Q_S || mpint K).
pub fn exchange_hash(input: &ExchangeHashInput<'_>) -> [u8; HASH_LEN] {
    let mut buf = BytesMut::new();
    let k = Mpint::from_unsigned_be(input.shared_secret.as_bytes());
    Writer::new(&mut buf)
        .string(input.client_version)
        .string(input.server_version)
        .string(input.client_kexinit)
        .string(input.server_kexinit)
        .string(input.host_key)
        .string(input.client_ephemeral)
        .string(input.server_ephemeral)
        .mpint(&k);
    let digest = Sha256::digest(&buf);
    // The buffer held K; wipe it before it is freed.
    let held: &mut [u8] = &mut buf;
    held.zeroize();
    digest.into()
}
