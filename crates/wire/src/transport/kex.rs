//! Key-exchange messages: KEXINIT, NEWKEYS (RFC 4253 §7) and the ECDH pair (RFC 5656 §7.1,
//! used by curve25519-sha256, RFC 8731).

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
use crate::{DecodeError, NameList, Writer, msg};

/// SSH_MSG_KEXINIT (RFC 4253 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KexInit<'a> {
    /// 16 random bytes.
    pub cookie: [u8; 16],
    /// Key exchange methods, most preferred first.
    pub kex_algorithms: NameList<'a>,
    /// Host key / signature algorithms.
    pub server_host_key_algorithms: NameList<'a>,
    /// Ciphers, client to server.
    pub encryption_algorithms_client_to_server: NameList<'a>,
    /// Ciphers, server to client.
    pub encryption_algorithms_server_to_client: NameList<'a>,
    /// MACs, client to server.
    pub mac_algorithms_client_to_server: NameList<'a>,
    /// MACs, server to client.
    pub mac_algorithms_server_to_client: NameList<'a>,
    /// Compression, client to server.
    pub compression_algorithms_client_to_server: NameList<'a>,
    /// Compression, server to client.
    pub compression_algorithms_server_to_client: NameList<'a>,
    /// Languages, client to server (usually empty).
    pub languages_client_to_server: NameList<'a>,
    /// Languages, server to client (usually empty).
    pub languages_server_to_client: NameList<'a>,
    /// Whether a guessed key exchange packet follows.
    pub first_kex_packet_follows: bool,
    /// Reserved for future extension, 0.
    pub reserved: u32,
}

impl<'a> KexInit<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::KEXINIT, "KEXINIT")?;
        let cookie = r.array("KEXINIT.cookie")?;
        let kex_algorithms = r.name_list("KEXINIT.kex_algorithms")?;
        let server_host_key_algorithms = r.name_list("KEXINIT.server_host_key_algorithms")?;
        let encryption_algorithms_client_to_server =
            r.name_list("KEXINIT.encryption_algorithms_client_to_server")?;
        let encryption_algorithms_server_to_client =
            r.name_list("KEXINIT.encryption_algorithms_server_to_client")?;
        let mac_algorithms_client_to_server =
            r.name_list("KEXINIT.mac_algorithms_client_to_server")?;
        let mac_algorithms_server_to_client =
            r.name_list("KEXINIT.mac_algorithms_server_to_client")?;
        let compression_algorithms_client_to_server =
            r.name_list("KEXINIT.compression_algorithms_client_to_server")?;
        let compression_algorithms_server_to_client =
            r.name_list("KEXINIT.compression_algorithms_server_to_client")?;
        let languages_client_to_server = r.name_list("KEXINIT.languages_client_to_server")?;
        let languages_server_to_client = r.name_list("KEXINIT.languages_server_to_client")?;
        let first_kex_packet_follows = r.boolean("KEXINIT.first_kex_packet_follows")?;
        let reserved = r.uint32("KEXINIT.reserved")?;
        r.finish("KEXINIT")?;
        Ok(Self {
            cookie,
            kex_algorithms,
            server_host_key_algorithms,
            encryption_algorithms_client_to_server,
            encryption_algorithms_server_to_client,
            mac_algorithms_client_to_server,
            mac_algorithms_server_to_client,
            compression_algorithms_client_to_server,
            compression_algorithms_server_to_client,
            languages_client_to_server,
            languages_server_to_client,
            first_kex_packet_follows,
            reserved,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::KEXINIT)
            .raw(&self.cookie)
            .name_list(&self.kex_algorithms)
            .name_list(&self.server_host_key_algorithms)
            .name_list(&self.encryption_algorithms_client_to_server)
            .name_list(&self.encryption_algorithms_server_to_client)
            .name_list(&self.mac_algorithms_client_to_server)
            .name_list(&self.mac_algorithms_server_to_client)
            .name_list(&self.compression_algorithms_client_to_server)
            .name_list(&self.compression_algorithms_server_to_client)
            .name_list(&self.languages_client_to_server)
            .name_list(&self.languages_server_to_client)
            .boolean(self.first_kex_packet_follows)
            .uint32(self.reserved);
    }
}

/// SSH_MSG_NEWKEYS (RFC 4253 §7.3): no fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NewKeys;

impl NewKeys {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        open(payload, msg::NEWKEYS, "NEWKEYS")?.finish("NEWKEYS")?;
        Ok(Self)
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::NEWKEYS);
    }
}

/// SSH_MSG_KEX_ECDH_INIT (RFC 5656 §7.1; RFC 8731 §3 for curve25519).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KexEcdhInit<'a> {
    /// Q_C, the client's ephemeral public key.
    pub client_ephemeral_public_key: Cow<'a, [u8]>,
}

impl<'a> KexEcdhInit<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::KEX_ECDH_INIT, "KEX_ECDH_INIT")?;
        let client_ephemeral_public_key = r.bytes("KEX_ECDH_INIT.client_ephemeral_public_key")?;
        r.finish("KEX_ECDH_INIT")?;
        Ok(Self {
            client_ephemeral_public_key,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::KEX_ECDH_INIT)
            .string(&self.client_ephemeral_public_key);
    }
}

/// SSH_MSG_KEX_ECDH_REPLY (RFC 5656 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KexEcdhReply<'a> {
    /// K_S, the server's public host key blob.
    pub host_key: Cow<'a, [u8]>,
    /// Q_S, the server's ephemeral public key.
    pub server_ephemeral_public_key: Cow<'a, [u8]>,
    /// The signature over the exchange hash H, as a signature blob.
    pub signature: Cow<'a, [u8]>,
}

impl<'a> KexEcdhReply<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::KEX_ECDH_REPLY, "KEX_ECDH_REPLY")?;
        let host_key = r.bytes("KEX_ECDH_REPLY.host_key")?;
        let server_ephemeral_public_key = r.bytes("KEX_ECDH_REPLY.server_ephemeral_public_key")?;
        let signature = r.bytes("KEX_ECDH_REPLY.signature")?;
        r.finish("KEX_ECDH_REPLY")?;
        Ok(Self {
            host_key,
            server_ephemeral_public_key,
            signature,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::KEX_ECDH_REPLY)
            .string(&self.host_key)
            .string(&self.server_ephemeral_public_key)
            .string(&self.signature);
    }
}

impl_to_bytes!(KexInit<'_>, NewKeys, KexEcdhInit<'_>, KexEcdhReply<'_>);
