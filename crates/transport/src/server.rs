//! The server's side of the key exchange: answering KEX_ECDH_INIT, then EXT_INFO.

use burrow_wire::NameList;
use burrow_wire::transport::{ExtInfo, KexEcdhInit, KexEcdhReply};

use crate::handshake::{AwaitPeerNewKeys, KexState, NewKeysPermit};
use crate::kex::{ExchangeHashInput, exchange_hash};
use crate::{Transport, TransportError};

/// Proof that we signed the exchange hash with our host key; lets the server send NEWKEYS.
pub(crate) struct ExchangeSigned(());

impl Transport {
    /// KEX_ECDH_INIT: agree on K, compute and sign H, then send KEX_ECDH_REPLY, NEWKEYS, our
    /// EXT_INFO (first exchange, if the client asked) and the held payloads in one flight.
    pub(crate) fn on_ecdh_init(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        let init = KexEcdhInit::decode(payload)?;
        let KexState::ServerAwaitInit(exchange) = core::mem::take(&mut self.kex) else {
            return Err(TransportError::UnexpectedMessage {
                number: burrow_wire::msg::KEX_ECDH_INIT,
                phase: "a key exchange before KEXINIT",
            });
        };
        let alg = exchange.negotiated.host_key;
        let host_keys = self.host_keys.clone();
        let Some(host_key) = host_keys.public_key(alg.key_type()) else {
            return Err(TransportError::BadHostKey);
        };
        let kex = exchange.negotiated.kex;
        let (ours, shared) = kex.server_reply(&init.client_ephemeral_public_key, &mut *self.rng)?;
        let blob = match exchange.negotiated.host_key_cert {
            true => host_keys.certificate(alg.key_type()),
            false => Some(host_key.blob()),
        };
        let blob = blob.ok_or(TransportError::BadHostKey)?;
        let our_version = crate::version::our_version_line();
        let our_version = our_version.strip_suffix(b"\r\n").unwrap_or(our_version);
        let h = exchange_hash(
            kex.hash(),
            &ExchangeHashInput {
                client_version: self.peer_version.as_deref().unwrap_or_default(),
                server_version: our_version,
                client_kexinit: &exchange.theirs,
                server_kexinit: &exchange.ours,
                host_key: blob,
                client_ephemeral: &init.client_ephemeral_public_key,
                server_ephemeral: &ours,
                shared_secret: &shared,
            },
        );
        let signature = host_keys
            .sign(alg, &h, &mut *self.rng)
            .map_err(|_| TransportError::BadHostKey)?;
        let signed = ExchangeSigned(());
        let keys = self.derive_session_keys(&exchange.negotiated, &shared, &h);
        let info = self.kex_info(&exchange.negotiated);
        let reply = KexEcdhReply {
            host_key: blob.into(),
            server_ephemeral_public_key: ours.as_slice().into(),
            signature: signature.as_slice().into(),
        };
        self.seal(&reply.to_bytes())?;
        self.send_newkeys(&keys.outgoing, NewKeysPermit::Signed(signed))?;
        if !self.initial_done && exchange.negotiated.peer_accepts_ext_info {
            let names: Vec<&str> = self.cfg.server_sig_algs.iter().map(|a| a.name()).collect();
            let algs = NameList::from_names(&names)?;
            self.seal(&ExtInfo::with_server_sig_algs(&algs).to_bytes())?;
        }
        self.flush_held()?;
        self.kex = KexState::AwaitPeerNewKeys(AwaitPeerNewKeys {
            incoming: keys.incoming,
            info,
        });
        Ok(())
    }

    /// Server: our host key algorithms that one of our keys can sign with, in preference
    /// order, the certificate names of keys with a certificate first (as sshd does).
    pub(crate) fn offered_host_key_algorithms(&self) -> Result<NameList<'static>, TransportError> {
        let algs = &self.cfg.host_key_algorithms;
        let keys = &self.host_keys;
        let certs = algs
            .iter()
            .filter(|a| keys.certificate(a.key_type()).is_some());
        let plain = algs
            .iter()
            .filter(|a| keys.public_key(a.key_type()).is_some());
        let names: Vec<&str> = certs
            .map(|a| a.cert_name())
            .chain(plain.map(|a| a.name()))
            .collect();
        Ok(NameList::from_names(&names)?)
    }
}
