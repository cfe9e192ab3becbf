//! The exchange hash H (RFC 4253 §8, RFC 5656 §4, RFC 8731 §3 and the hybrid drafts): one
//! layout for every method, with the method's hash.

use burrow_wire::Writer;
use bytes::BytesMut;

use super::{KexHash, SharedSecret};

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
    /// The client's value: Q_C, C_INIT, or the body of the `mpint` e (same bytes either way).
    pub client_ephemeral: &'a [u8],
    /// The server's value: Q_S, S_REPLY or f.
    pub server_ephemeral: &'a [u8],
    /// K, already encoded as `mpint` or `string`.
    pub shared_secret: &'a SharedSecret,
}

/// H = HASH(string V_C || string V_S || string I_C || string I_S || string K_S ||
/// string client value || string server value || K).
pub fn exchange_hash(hash: KexHash, input: &ExchangeHashInput<'_>) -> Vec<u8> {
    let mut buf = BytesMut::new();
    Writer::new(&mut buf)
        .string(input.client_version)
        .string(input.server_version)
        .string(input.client_kexinit)
        .string(input.server_kexinit)
        .string(input.host_key)
        .string(input.client_ephemeral)
        .string(input.server_ephemeral);
    hash.digest(&[&buf, input.shared_secret.encoded()])
}
