//! The key exchange as an enum of per-state structs (RFC 4253 §7-8), and the steps both sides
//! share: sending KEXINIT, the peer's KEXINIT, NEWKEYS in both directions.

use burrow_wire::transport::{KexEcdhInit, KexInit, NewKeys};
use burrow_wire::{SessionId, Side};
use bytes::Bytes;

use crate::cipher::DirectionKeys;
use crate::client::HostKeySignatureValid;
use crate::event::{KexInfo, TransportEvent};
use crate::kex::{KexAlg, KexSecret, KeyLetter, SharedSecret, derive_key};
use crate::negotiate::{Negotiated, negotiate, our_kexinit};
use crate::server::ExchangeSigned;
use crate::{Transport, TransportError};

/// Where the key exchange is.
#[derive(Default)]
pub(crate) enum KexState {
    /// No key exchange is running.
    #[default]
    Idle,
    /// We sent KEXINIT (the client maybe a guessed KEX_ECDH_INIT too); waiting for the peer's.
    SentKexInit(SentKexInit),
    /// Client: our KEX_ECDH_INIT is out; waiting for KEX_ECDH_REPLY.
    ClientAwaitReply(ClientAwaitReply),
    /// Client: the reply verified; waiting for the caller's host key verdict.
    ClientAwaitVerdict(ClientAwaitVerdict),
    /// Server: waiting for KEX_ECDH_INIT.
    ServerAwaitInit(Exchange),
    /// Our NEWKEYS is out; waiting for the peer's.
    AwaitPeerNewKeys(AwaitPeerNewKeys),
}

impl KexState {
    /// True when no key exchange is running.
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self, KexState::Idle)
    }

    /// True from our KEXINIT until our NEWKEYS: service payloads must wait.
    pub(crate) fn holds_payloads(&self) -> bool {
        !matches!(self, KexState::Idle | KexState::AwaitPeerNewKeys(_))
    }
}

/// Our KEXINIT is out.
pub(crate) struct SentKexInit {
    /// Its payload (I_C or I_S).
    pub(crate) ours: Bytes,
    /// Client: the secret and value of the kex init message we sent as a guess.
    pub(crate) guess: Option<(KexSecret, Vec<u8>)>,
}

/// Both KEXINITs and what they agreed on.
pub(crate) struct Exchange {
    pub(crate) ours: Bytes,
    pub(crate) theirs: Bytes,
    pub(crate) negotiated: Negotiated,
}

/// Client, waiting for the server's reply.
pub(crate) struct ClientAwaitReply {
    pub(crate) exchange: Exchange,
    pub(crate) secret: KexSecret,
    /// Our value in the init message (Q_C, C_INIT or e), for the exchange hash.
    pub(crate) init: Vec<u8>,
}

/// Client, waiting for the host key verdict.
pub(crate) struct ClientAwaitVerdict {
    pub(crate) proof: HostKeySignatureValid,
    pub(crate) outgoing: DirectionKeys,
    /// `None` once the server's NEWKEYS installed them.
    pub(crate) incoming: Option<DirectionKeys>,
    pub(crate) info: KexInfo,
}

/// Waiting for the peer's NEWKEYS.
pub(crate) struct AwaitPeerNewKeys {
    pub(crate) incoming: DirectionKeys,
    pub(crate) info: KexInfo,
}

/// The only two ways to be allowed to send NEWKEYS: the client verified the server's
/// signature over H, or the server signed H itself.
pub(crate) enum NewKeysPermit {
    /// Client side.
    Verified(HostKeySignatureValid),
    /// Server side.
    Signed(ExchangeSigned),
}

/// Keys for both directions, from our point of view.
pub(crate) struct SessionKeys {
    pub(crate) outgoing: DirectionKeys,
    pub(crate) incoming: DirectionKeys,
}

impl Transport {
    /// Sends our KEXINIT and enters `SentKexInit`. A client that `initiates` the exchange also
    /// sends a guessed KEX_ECDH_INIT when `guess_kex` is set and the guess is known to be right.
    ///
    /// Peers judge a guess differently: RFC 4253 §7 (OpenSSH) calls it right only when both
    /// sides' first kex and host key algorithms are equal, AsyncSSH when the negotiated method is
    /// the guesser's first. When the two disagree, resending breaks the one peer and not
    /// resending the other, so we guess only when the server's previous KEXINIT showed the same
    /// first choices as ours (a rekey): right by both rules. The initial exchange never guesses,
    /// as OpenSSH's client never does.
    pub(crate) fn start_kex(&mut self, initiates: bool) -> Result<(), TransportError> {
        let mut cookie = [0u8; 16];
        self.rng.fill_bytes(&mut cookie);
        let guess_alg = self.cfg.kex_algorithms.first().copied().filter(|_| {
            initiates
                && self.side == Side::Client
                && self.cfg.guess_kex
                && self.guess_predicted_right
        });
        let kexinit = our_kexinit(self.side, &self.cfg, cookie, guess_alg.is_some())?;
        let ours = kexinit.to_bytes().freeze();
        self.seal(&ours)?;
        let guess = match guess_alg {
            Some(alg) => Some(self.send_kex_init(alg)?),
            None => None,
        };
        self.kex = KexState::SentKexInit(SentKexInit { ours, guess });
        Ok(())
    }

    /// Client: a fresh secret for `alg` and the init message (KEX_ECDH_INIT, KEXDH_INIT or
    /// KEX_HYBRID_INIT: all number 30 with one value) carrying our value.
    pub(crate) fn send_kex_init(
        &mut self,
        alg: KexAlg,
    ) -> Result<(KexSecret, Vec<u8>), TransportError> {
        let (secret, value) = alg.client_init(&mut *self.rng)?;
        let msg = KexEcdhInit {
            client_ephemeral_public_key: value.as_slice().into(),
        };
        self.seal(&msg.to_bytes())?;
        Ok((secret, value))
    }

    /// The peer's KEXINIT: answer with ours if we had not sent one, negotiate, and move on.
    pub(crate) fn on_kexinit(&mut self, payload: Bytes, seq: u32) -> Result<(), TransportError> {
        let theirs = KexInit::decode(&payload)?;
        self.peer_kexinits = self.peer_kexinits.saturating_add(1);
        self.peer_in_kex = true;
        if self.kex.is_idle() {
            self.start_kex(false)?;
        }
        let KexState::SentKexInit(sent) = core::mem::take(&mut self.kex) else {
            return Err(TransportError::UnexpectedMessage {
                number: burrow_wire::msg::KEXINIT,
                phase: "a running key exchange",
            });
        };
        let ours = KexInit::decode(&sent.ours)?;
        let negotiated = negotiate(self.side, &ours, &theirs)?;
        if self.peer_kexinits == 1 {
            self.strict_kex = negotiated.strict_kex;
            if self.strict_kex && seq != 0 {
                return Err(TransportError::KexInitNotFirst { seq });
            }
        }
        if theirs.first_kex_packet_follows && !negotiated.guess_right {
            self.ignore_next_packet = true;
        }
        let guess_right = negotiated.guess_right;
        self.guess_predicted_right = guess_right;
        let exchange = Exchange {
            ours: sent.ours,
            theirs: payload.clone(),
            negotiated,
        };
        match self.side {
            Side::Server => self.kex = KexState::ServerAwaitInit(exchange),
            Side::Client => {
                let (secret, init) = match sent.guess {
                    Some(guess) if guess_right => guess,
                    _ => self.send_kex_init(exchange.negotiated.kex)?,
                };
                self.kex = KexState::ClientAwaitReply(ClientAwaitReply {
                    exchange,
                    secret,
                    init,
                });
            }
        }
        Ok(())
    }

    /// Sets the session id on the first exchange and derives both directions' keys.
    pub(crate) fn derive_session_keys(
        &mut self,
        negotiated: &Negotiated,
        shared: &SharedSecret,
        hash: &[u8],
    ) -> SessionKeys {
        let session_id = self
            .session_id
            .get_or_insert_with(|| SessionId::new(hash.to_vec()))
            .as_bytes()
            .to_vec();
        let kex_hash = negotiated.kex.hash();
        let keys = |cipher: crate::cipher::CipherAlg,
                    mac: Option<crate::cipher::MacAlg>,
                    iv,
                    enc,
                    integ| {
            DirectionKeys {
                cipher,
                mac,
                iv: derive_key(kex_hash, shared, hash, iv, &session_id, cipher.iv_len()),
                enc_key: derive_key(kex_hash, shared, hash, enc, &session_id, cipher.key_len()),
                mac_key: derive_key(
                    kex_hash,
                    shared,
                    hash,
                    integ,
                    &session_id,
                    mac.map_or(0, |m| m.key_len()),
                ),
            }
        };
        let c2s = keys(
            negotiated.cipher_client_to_server,
            negotiated.mac_client_to_server,
            KeyLetter::IvClientToServer,
            KeyLetter::EncClientToServer,
            KeyLetter::MacClientToServer,
        );
        let s2c = keys(
            negotiated.cipher_server_to_client,
            negotiated.mac_server_to_client,
            KeyLetter::IvServerToClient,
            KeyLetter::EncServerToClient,
            KeyLetter::MacServerToClient,
        );
        match self.side {
            Side::Client => SessionKeys {
                outgoing: c2s,
                incoming: s2c,
            },
            Side::Server => SessionKeys {
                outgoing: s2c,
                incoming: c2s,
            },
        }
    }

    /// Sends NEWKEYS and switches the outgoing direction to the new keys; strict kex resets
    /// the sequence number. Requires proof that the exchange hash was signed or verified.
    pub(crate) fn send_newkeys(
        &mut self,
        outgoing: &DirectionKeys,
        _permit: NewKeysPermit,
    ) -> Result<(), TransportError> {
        self.seal(&NewKeys.to_bytes())?;
        self.sealer.set_keys(outgoing)?;
        if self.strict_kex {
            self.sealer.reset_sequence_number();
        }
        Ok(())
    }

    /// Sends the payloads held during the key exchange, in order.
    pub(crate) fn flush_held(&mut self) -> Result<(), TransportError> {
        while let Some(payload) = self.held.pop_front() {
            self.held_bytes = self.held_bytes.saturating_sub(payload.len());
            self.seal(&payload)?;
        }
        Ok(())
    }

    /// The peer's NEWKEYS: switch the incoming direction.
    pub(crate) fn on_newkeys(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        NewKeys::decode(payload)?;
        if let KexState::ClientAwaitVerdict(state) = &mut self.kex {
            if let Some(incoming) = state.incoming.take() {
                self.install_incoming(&incoming)?;
                self.paused = true;
                return Ok(());
            }
        }
        let KexState::AwaitPeerNewKeys(state) = core::mem::take(&mut self.kex) else {
            return Err(TransportError::UnexpectedMessage {
                number: burrow_wire::msg::NEWKEYS,
                phase: "a key exchange before our keys were ready",
            });
        };
        self.install_incoming(&state.incoming)?;
        self.finish_kex(state.info);
        Ok(())
    }

    fn install_incoming(&mut self, keys: &DirectionKeys) -> Result<(), TransportError> {
        self.opener.set_keys(keys)?;
        if self.strict_kex {
            self.opener.reset_sequence_number();
        }
        self.peer_in_kex = false;
        Ok(())
    }

    /// Both directions use the new keys: report it and restart the rekey counters.
    pub(crate) fn finish_kex(&mut self, info: KexInfo) {
        self.kex = KexState::Idle;
        self.initial_done = true;
        self.paused = false;
        self.reset_rekey_base();
        self.events.push_back(TransportEvent::KexDone(info));
    }

    /// What the negotiation agreed on, for `KexDone`.
    pub(crate) fn kex_info(&self, n: &Negotiated) -> KexInfo {
        KexInfo {
            initial: !self.initial_done,
            kex: n.kex,
            cipher_client_to_server: n.cipher_client_to_server,
            cipher_server_to_client: n.cipher_server_to_client,
            mac_client_to_server: n.mac_client_to_server,
            mac_server_to_client: n.mac_server_to_client,
            strict_kex: self.strict_kex,
        }
    }
}
