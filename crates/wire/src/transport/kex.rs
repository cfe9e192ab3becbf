//! Key-exchange messages: KEXINIT, NEWKEYS (RFC 4253 §7) and the ECDH pair (RFC 5656 §7.1,
//! used by curve25519-sha256, RFC 8731).

use std::borrow::Cow;

use crate::NameList;
use crate::message::wire_message;

wire_message! {
    /// SSH_MSG_KEXINIT (RFC 4253 §7.1).
    pub struct KexInit<'a> = KEXINIT {
        /// 16 random bytes.
        cookie: [u8; 16],
        /// Key exchange methods, most preferred first.
        kex_algorithms: NameList<'a>,
        /// Host key / signature algorithms.
        server_host_key_algorithms: NameList<'a>,
        /// Ciphers, client to server.
        encryption_algorithms_client_to_server: NameList<'a>,
        /// Ciphers, server to client.
        encryption_algorithms_server_to_client: NameList<'a>,
        /// MACs, client to server.
        mac_algorithms_client_to_server: NameList<'a>,
        /// MACs, server to client.
        mac_algorithms_server_to_client: NameList<'a>,
        /// Compression, client to server.
        compression_algorithms_client_to_server: NameList<'a>,
        /// Compression, server to client.
        compression_algorithms_server_to_client: NameList<'a>,
        /// Languages, client to server (usually empty).
        languages_client_to_server: NameList<'a>,
        /// Languages, server to client (usually empty).
        languages_server_to_client: NameList<'a>,
        /// Whether a guessed key exchange packet follows.
        first_kex_packet_follows: bool,
        /// Reserved for future extension, 0.
        reserved: u32,
    }
}

wire_message! {
    /// SSH_MSG_NEWKEYS (RFC 4253 §7.3): no fields.
    pub struct NewKeys = NEWKEYS;
}

wire_message! {
    /// SSH_MSG_KEX_ECDH_INIT (RFC 5656 §7.1; RFC 8731 §3 for curve25519).
    pub struct KexEcdhInit<'a> = KEX_ECDH_INIT {
        /// Q_C, the client's ephemeral public key.
        client_ephemeral_public_key: Cow<'a, [u8]>,
    }
}

wire_message! {
    /// SSH_MSG_KEX_ECDH_REPLY (RFC 5656 §7.1).
    pub struct KexEcdhReply<'a> = KEX_ECDH_REPLY {
        /// K_S, the server's public host key blob.
        host_key: Cow<'a, [u8]>,
        /// Q_S, the server's ephemeral public key.
        server_ephemeral_public_key: Cow<'a, [u8]>,
        /// The signature over the exchange hash H, as a signature blob.
        signature: Cow<'a, [u8]>,
    }
}
