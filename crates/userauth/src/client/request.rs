//! The client's method selection and the USERAUTH_REQUESTs (and INFO_RESPONSE) it builds.

use std::borrow::Cow;

use burrow_keys::{PublicKey, SigAlg};
use bytes::BytesMut;

use super::{CONNECTION_SERVICE, Client, ClientEvent, Identity, Phase};
use crate::server::encode;
use crate::{Method, UserauthError};
use burrow_wire::userauth::{
    AuthMethod, UserauthInfoResponse, UserauthRequest, publickey_signed_data,
};

impl Client {
    /// Picks the next method the server allows and we still have something for; sends its
    /// request (or asks the caller). With nothing left, `PermissionDenied`.
    pub(super) fn next_method(&mut self) -> Result<(), UserauthError> {
        let left = self.methods_left.clone().unwrap_or_default();
        let allowed = |m: Method| left.iter().any(|n| n == m.name());
        for method in self.config.methods.clone() {
            if !allowed(method) {
                continue;
            }
            match method {
                Method::Publickey => {
                    if self.try_next_identity() {
                        return Ok(());
                    }
                }
                Method::KeyboardInteractive => {
                    if self.kbd_tries < self.config.password_attempts {
                        self.kbd_tries = self.kbd_tries.saturating_add(1);
                        self.send_kbd();
                        return Ok(());
                    }
                }
                Method::Password => {
                    if self.password_tries < self.config.password_attempts {
                        self.password_tries = self.password_tries.saturating_add(1);
                        self.phase = Phase::AwaitPasswordAnswer;
                        self.events.push_back(ClientEvent::PasswordPrompt {
                            prompt: format!(
                                "{}@{}'s password: ",
                                self.config.user, self.config.host
                            ),
                        });
                        return Ok(());
                    }
                }
            }
        }
        self.phase = Phase::Failed;
        Err(UserauthError::PermissionDenied {
            user: self.config.user.clone(),
            host: self.config.host.clone(),
            methods: left,
        })
    }

    /// Sends the request for the next usable identity; false when none is left. Identities
    /// with no acceptable algorithm (or that fail to sign) are skipped.
    fn try_next_identity(&mut self) -> bool {
        while let Some(identity) = self.identities.get(self.next_identity) {
            let index = self.next_identity;
            self.next_identity = index.saturating_add(1);
            let Some(alg) = self.algorithm_for(identity.public_key()) else {
                continue;
            };
            let blob = identity.offered_blob();
            if let Identity::KeyPair(pair) = identity.signer() {
                let data = self.signed_data(index, alg, &blob);
                let Ok(signature) = pair.sign(alg, &data, &mut *self.rng) else {
                    continue;
                };
                self.send_publickey(index, alg, &blob, Some(&signature));
            } else {
                self.send_publickey(index, alg, &blob, None);
            }
            return true;
        }
        false
    }

    /// The signature algorithm for `key`, as OpenSSH's `key_sig_algorithm`: the key's own
    /// algorithm if PubkeyAcceptedAlgorithms has it; for RSA keys once the server sent
    /// `server-sig-algs`, the first accepted RSA algorithm the server lists.
    fn algorithm_for(&self, key: &PublicKey) -> Option<SigAlg> {
        let accepted = &self.config.pubkey_algorithms;
        let server_has = |a: &SigAlg| match &self.server_sig_algs {
            Some(algs) if key.key_type() == "ssh-rsa" => algs.iter().any(|n| n == a.name()),
            _ => *a != SigAlg::RsaSha512 && *a != SigAlg::RsaSha256,
        };
        accepted
            .iter()
            .copied()
            .find(|a| a.key_type() == key.key_type() && server_has(a))
    }

    /// The RFC 4252 §7 data a publickey signature covers, for identity `index` offering
    /// `blob` with `alg`.
    pub(super) fn signed_data(&self, index: usize, alg: SigAlg, blob: &[u8]) -> BytesMut {
        publickey_signed_data(
            self.session_id.as_bytes(),
            &self.config.user,
            CONNECTION_SERVICE,
            self.offered_name(index, alg),
            blob,
        )
    }

    /// The algorithm name identity `index` is offered under for `alg`.
    pub(super) fn offered_name(&self, index: usize, alg: SigAlg) -> &'static str {
        self.identities
            .get(index)
            .map_or(alg.name(), |id| id.offered_name(alg))
    }

    fn request<'a>(&'a self, method: AuthMethod<'a>) -> UserauthRequest<'a> {
        UserauthRequest {
            user_name: Cow::Borrowed(&self.config.user),
            service_name: Cow::Borrowed(CONNECTION_SERVICE),
            method,
        }
    }

    pub(super) fn send_none(&mut self) {
        let payload = encode(|w| self.request(AuthMethod::None).encode(w));
        self.outbox.push_back(payload);
        self.phase = Phase::AwaitNone;
    }

    pub(super) fn send_publickey(
        &mut self,
        index: usize,
        alg: SigAlg,
        blob: &[u8],
        signature: Option<&[u8]>,
    ) {
        let name = self.offered_name(index, alg);
        let payload = encode(|w| {
            self.request(AuthMethod::Publickey {
                algorithm: Cow::Borrowed(name),
                public_key: Cow::Borrowed(blob),
                signature: signature.map(Cow::Borrowed),
            })
            .encode(w);
        });
        self.outbox.push_back(payload);
        self.phase = Phase::AwaitPublickey {
            index,
            alg,
            signed: signature.is_some(),
        };
    }

    fn send_kbd(&mut self) {
        let payload = encode(|w| {
            self.request(AuthMethod::KeyboardInteractive {
                language_tag: Cow::Borrowed(""),
                submethods: Cow::Borrowed(""),
            })
            .encode(w);
        });
        self.outbox.push_back(payload);
        self.phase = Phase::AwaitKbd;
    }

    pub(super) fn send_info_response(&mut self, answers: &[&str]) {
        let response = UserauthInfoResponse {
            responses: answers.iter().map(|a| Cow::Borrowed(*a)).collect(),
        };
        let payload = encode(|w| response.encode(w));
        self.outbox.push_back(payload);
        self.phase = Phase::AwaitKbd;
    }

    pub(super) fn send_password(&mut self, password: &str) {
        let payload = encode(|w| {
            self.request(AuthMethod::Password {
                password: Cow::Borrowed(password),
                new_password: None,
            })
            .encode(w);
        });
        self.outbox.push_back(payload);
        self.phase = Phase::AwaitPassword;
    }
}
