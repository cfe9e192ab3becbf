//! The client's side of the key exchange: verifying KEX_ECDH_REPLY and the host key verdict.

use burrow_keys::{Certificate, PublicKey, SigAlg};
use burrow_wire::transport::KexEcdhReply;
use bytes::Bytes;

use crate::event::{HostKeyVerdict, TransportEvent};
use crate::handshake::{AwaitPeerNewKeys, ClientAwaitVerdict, KexState, NewKeysPermit};
use crate::kex::{ExchangeHashInput, exchange_hash};
use crate::{Transport, TransportError};

/// Proof that the server's signature over the exchange hash verified. Only
/// [`verify_exchange_signature`] can build one, and sending NEWKEYS requires one.
pub(crate) struct HostKeySignatureValid(());

/// Verifies the server's signature blob over the exchange hash `h` with its host key and
/// the negotiated algorithm.
fn verify_exchange_signature(
    host_key: &PublicKey,
    alg: SigAlg,
    h: &[u8],
    signature: &[u8],
) -> Result<HostKeySignatureValid, TransportError> {
    host_key
        .verify(alg, h, signature)
        .map_err(|_| TransportError::HostKeySignatureInvalid)?;
    Ok(HostKeySignatureValid(()))
}

impl Transport {
    /// KEX_ECDH_REPLY: agree on K, compute H, verify the signature, then ask the caller about
    /// the host key (first exchange) or check it is unchanged (rekey).
    pub(crate) fn on_ecdh_reply(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        let reply = KexEcdhReply::decode(payload)?;
        let KexState::ClientAwaitReply(state) = core::mem::take(&mut self.kex) else {
            return Err(TransportError::UnexpectedMessage {
                number: burrow_wire::msg::KEX_ECDH_REPLY,
                phase: "a key exchange before our KEX_ECDH_INIT",
            });
        };
        // A certificate's CA signature is checked here; whether the CA is trusted, the
        // principal and the validity are the caller's verdict.
        let host_key = match state.exchange.negotiated.host_key_cert {
            true => Certificate::from_blob(&reply.host_key, &SigAlg::ALL).map(|c| c.key),
            false => PublicKey::from_blob(&reply.host_key),
        };
        let host_key = host_key.map_err(|_| TransportError::BadHostKey)?;
        let shared = state.secret.agree(&reply.server_ephemeral_public_key)?;
        let our_version = crate::version::our_version_line();
        let our_version = our_version.strip_suffix(b"\r\n").unwrap_or(our_version);
        let h = exchange_hash(
            state.exchange.negotiated.kex.hash(),
            &ExchangeHashInput {
                client_version: our_version,
                server_version: self.peer_version.as_deref().unwrap_or_default(),
                client_kexinit: &state.exchange.ours,
                server_kexinit: &state.exchange.theirs,
                host_key: &reply.host_key,
                client_ephemeral: &state.init,
                server_ephemeral: &reply.server_ephemeral_public_key,
                shared_secret: &shared,
            },
        );
        let alg = state.exchange.negotiated.host_key;
        let proof = verify_exchange_signature(&host_key, alg, &h, &reply.signature)?;
        let keys = self.derive_session_keys(&state.exchange.negotiated, &shared, &h);
        let info = self.kex_info(&state.exchange.negotiated);
        let blob = Bytes::copy_from_slice(&reply.host_key);
        let pending = ClientAwaitVerdict {
            proof,
            outgoing: keys.outgoing,
            incoming: Some(keys.incoming),
            info,
        };
        match &self.first_host_key {
            None => {
                self.events.push_back(TransportEvent::VerifyHostKey {
                    host_key: blob.clone(),
                    fingerprint: host_key.fingerprint(),
                });
                self.first_host_key = Some(blob);
                self.kex = KexState::ClientAwaitVerdict(pending);
                Ok(())
            }
            Some(first) if *first == blob => self.accept_host_key(pending),
            Some(_) => Err(TransportError::HostKeyChanged),
        }
    }

    /// The caller's verdict on the host key of the first exchange.
    pub(crate) fn on_host_key_verdict(
        &mut self,
        verdict: HostKeyVerdict,
    ) -> Result<(), TransportError> {
        if self.closed || !matches!(self.kex, KexState::ClientAwaitVerdict(_)) {
            return Ok(());
        }
        let KexState::ClientAwaitVerdict(pending) = core::mem::take(&mut self.kex) else {
            return Ok(());
        };
        match verdict {
            HostKeyVerdict::Accept => self.accept_host_key(pending),
            HostKeyVerdict::Reject => Err(TransportError::HostKeyRejected),
        }
    }

    /// Sends NEWKEYS and the held payloads; finishes if the server's NEWKEYS already came.
    fn accept_host_key(&mut self, pending: ClientAwaitVerdict) -> Result<(), TransportError> {
        self.send_newkeys(&pending.outgoing, NewKeysPermit::Verified(pending.proof))?;
        self.flush_held()?;
        match pending.incoming {
            Some(incoming) => {
                self.kex = KexState::AwaitPeerNewKeys(AwaitPeerNewKeys {
                    incoming,
                    info: pending.info,
                });
            }
            None => self.finish_kex(pending.info),
        }
        Ok(())
    }
}
