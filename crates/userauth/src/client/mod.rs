//! The client's userauth state machine: SERVICE_REQUEST, a `none` probe, then the configured
//! methods in order, following the server's "authentications that can continue".
//!
//! Sans-IO: server payloads go in (`handle_payload`), answers from the user or the agent go in
//! through verbs (`provide_signature`, `answer_prompts`, `answer_password`), and payloads and
//! events come out (`poll_payload`, `poll_event`). Only userauth-layer payloads
//! (SERVICE_ACCEPT and numbers 50-79) should be fed in.

mod config;
mod request;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use burrow_keys::SigAlg;
use burrow_wire::transport::{ServiceAccept, ServiceRequest};
use burrow_wire::{SessionId, msg};
use bytes::Bytes;
use rand_core::CryptoRngCore;

use crate::server::encode;
use crate::{Authenticated, Method, UserauthError};
use burrow_wire::userauth::{
    Expect60, UserauthFailure, UserauthInfoRequest, UserauthMessage, UserauthPkOk,
};
pub use config::{ClientConfig, ClientEvent, Identity, PromptLine};

/// The service requested after userauth.
pub const CONNECTION_SERVICE: &str = "ssh-connection";

/// Where the client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// SERVICE_REQUEST sent.
    AwaitServiceAccept,
    /// `none` sent.
    AwaitNone,
    /// publickey request for identity `index` sent, signed or as a query.
    AwaitPublickey {
        index: usize,
        alg: SigAlg,
        signed: bool,
    },
    /// PK_OK received; waiting for the caller's `provide_signature`.
    AwaitSignature { index: usize, alg: SigAlg },
    /// keyboard-interactive request or INFO_RESPONSE sent.
    AwaitKbd,
    /// INFO_REQUEST received; waiting for `answer_prompts` with `count` answers.
    AwaitAnswers { count: usize },
    /// Waiting for `answer_password`.
    AwaitPasswordAnswer,
    /// password request sent.
    AwaitPassword,
    /// Authenticated.
    Done,
    /// Gave up (or a protocol error).
    Failed,
}

/// Client-side user authentication for one connection.
pub struct Client {
    config: ClientConfig,
    session_id: SessionId,
    identities: Vec<Identity>,
    /// Blinds RSA signatures made with our own key pairs.
    rng: Box<dyn CryptoRngCore + Send>,
    server_sig_algs: Option<Vec<String>>,
    phase: Phase,
    /// The next identity to try.
    next_identity: usize,
    kbd_tries: u32,
    password_tries: u32,
    /// The server's last "authentications that can continue"; `None` before the `none` reply.
    methods_left: Option<Vec<String>>,
    /// Bound: at most two payloads are queued between polls (one reply per server message).
    outbox: VecDeque<Bytes>,
    /// Bound: at most a banner and one or two outcome events per server message.
    events: VecDeque<ClientEvent>,
    /// Built on USERAUTH_SUCCESS, taken once by the caller to start the connection layer.
    proof: Option<Authenticated<()>>,
}

impl Client {
    /// A client that queues SERVICE_REQUEST("ssh-userauth"). `session_id` is the first
    /// exchange hash; `identities` are tried in order; `rng` blinds RSA signatures.
    pub fn new(
        config: ClientConfig,
        session_id: SessionId,
        identities: Vec<Identity>,
        rng: Box<dyn CryptoRngCore + Send>,
    ) -> Self {
        let mut outbox = VecDeque::new();
        let req = ServiceRequest {
            service_name: "ssh-userauth".into(),
        };
        outbox.push_back(encode(|w| req.encode(w)));
        Self {
            config,
            session_id,
            identities,
            rng,
            server_sig_algs: None,
            phase: Phase::AwaitServiceAccept,
            next_identity: 0,
            kbd_tries: 0,
            password_tries: 0,
            methods_left: None,
            outbox,
            events: VecDeque::new(),
            proof: None,
        }
    }

    /// Records the server's `server-sig-algs` (RFC 8308): it decides between rsa-sha2-512
    /// and rsa-sha2-256 for RSA keys, as in OpenSSH.
    pub fn set_server_sig_algs(&mut self, algorithms: Vec<String>) {
        self.server_sig_algs = Some(algorithms);
    }

    /// True once USERAUTH_SUCCESS arrived.
    pub fn is_authenticated(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The proof of USERAUTH_SUCCESS, handed out once: only with it can the caller start the
    /// connection layer (ARCHITECTURE §4), as a server does with its own token.
    pub fn take_authenticated(&mut self) -> Option<Authenticated<()>> {
        self.proof.take()
    }

    /// True once the client gave up or hit an error.
    pub fn is_failed(&self) -> bool {
        self.phase == Phase::Failed
    }

    /// The next payload to send.
    #[must_use]
    pub fn poll_payload(&mut self) -> Option<Bytes> {
        self.outbox.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// Handles one payload from the server. `Err(PermissionDenied)` means every allowed
    /// method failed; any `Err` ends authentication.
    pub fn handle_payload(&mut self, payload: &[u8]) -> Result<(), UserauthError> {
        if matches!(self.phase, Phase::Done | Phase::Failed) {
            return Ok(());
        }
        let result = self.dispatch(payload);
        if result.is_err() {
            self.phase = Phase::Failed;
        }
        result
    }

    fn dispatch(&mut self, payload: &[u8]) -> Result<(), UserauthError> {
        let number = payload.first().copied().unwrap_or(0);
        if self.phase == Phase::AwaitServiceAccept {
            return self.on_service_accept(number, payload);
        }
        let expect = match self.phase {
            Phase::AwaitKbd => Expect60::InfoRequest,
            Phase::AwaitPassword => Expect60::PasswdChangereq,
            _ => Expect60::PkOk,
        };
        if !(msg::USERAUTH_FAILURE..=msg::USERAUTH_PK_OK).contains(&number) {
            return Err(self.unexpected(number));
        }
        match UserauthMessage::decode(payload, expect)? {
            UserauthMessage::UserauthBanner(b) => {
                self.events.push_back(ClientEvent::Banner {
                    message: b.message.into_owned(),
                });
                Ok(())
            }
            UserauthMessage::UserauthSuccess(_) => self.on_success(number),
            UserauthMessage::UserauthFailure(f) => self.on_failure(number, &f),
            UserauthMessage::UserauthPkOk(ok) => self.on_pk_ok(number, &ok),
            UserauthMessage::UserauthInfoRequest(req) => self.on_info_request(number, req),
            UserauthMessage::UserauthPasswdChangereq(req) if self.phase == Phase::AwaitPassword => {
                Err(UserauthError::PasswordChangeRequired {
                    prompt: req.prompt.into_owned(),
                })
            }
            _ => Err(self.unexpected(number)),
        }
    }

    fn on_service_accept(&mut self, number: u8, payload: &[u8]) -> Result<(), UserauthError> {
        if number != msg::SERVICE_ACCEPT {
            return Err(self.unexpected(number));
        }
        let accept = ServiceAccept::decode(payload)?;
        if accept.service_name != "ssh-userauth" {
            return Err(UserauthError::WrongServiceAccepted {
                service: accept.service_name.into_owned(),
            });
        }
        self.send_none();
        Ok(())
    }

    fn on_success(&mut self, number: u8) -> Result<(), UserauthError> {
        let method = match self.phase {
            Phase::AwaitNone => None,
            Phase::AwaitPublickey { signed: true, .. } => Some(Method::Publickey),
            Phase::AwaitKbd => Some(Method::KeyboardInteractive),
            Phase::AwaitPassword => Some(Method::Password),
            _ => return Err(self.unexpected(number)),
        };
        self.phase = Phase::Done;
        let methods = method.into_iter().collect();
        self.proof = Some(Authenticated::new(self.config.user.clone(), methods, ()));
        self.events.push_back(ClientEvent::Success);
        Ok(())
    }

    fn on_failure(&mut self, number: u8, f: &UserauthFailure<'_>) -> Result<(), UserauthError> {
        let method = match self.phase {
            Phase::AwaitNone => None,
            Phase::AwaitPublickey { .. } => Some(Method::Publickey),
            Phase::AwaitKbd => Some(Method::KeyboardInteractive),
            Phase::AwaitPassword => Some(Method::Password),
            _ => return Err(self.unexpected(number)),
        };
        let left: Vec<String> = f
            .authentications_that_can_continue
            .iter()
            .map(str::to_owned)
            .collect();
        if let Some(method) = method {
            self.events.push_back(ClientEvent::Failure {
                method,
                methods_left: left.clone(),
                partial: f.partial_success,
            });
        }
        self.methods_left = Some(left);
        self.next_method()
    }

    fn on_pk_ok(&mut self, number: u8, ok: &UserauthPkOk<'_>) -> Result<(), UserauthError> {
        let Phase::AwaitPublickey {
            index,
            alg,
            signed: false,
        } = self.phase
        else {
            return Err(self.unexpected(number));
        };
        let blob = self
            .identities
            .get(index)
            .map(|id| id.public_key().to_blob())
            .unwrap_or_default();
        if ok.algorithm != alg.name() || *ok.public_key != *blob {
            return Err(UserauthError::PkOkForOtherKey);
        }
        let data = self.signed_data(alg, &blob).to_vec();
        self.events.push_back(ClientEvent::SignRequest {
            key_blob: blob,
            algorithm: alg,
            data,
        });
        self.phase = Phase::AwaitSignature { index, alg };
        Ok(())
    }

    fn on_info_request(
        &mut self,
        number: u8,
        req: UserauthInfoRequest<'_>,
    ) -> Result<(), UserauthError> {
        if self.phase != Phase::AwaitKbd {
            return Err(self.unexpected(number));
        }
        if req.prompts.is_empty() && req.name.is_empty() && req.instruction.is_empty() {
            self.send_info_response(&[]);
            return Ok(());
        }
        let prompts: Vec<PromptLine> = req
            .prompts
            .iter()
            .map(|p| PromptLine {
                text: p.prompt.to_string(),
                echo: p.echo,
            })
            .collect();
        self.phase = Phase::AwaitAnswers {
            count: prompts.len(),
        };
        self.events.push_back(ClientEvent::Prompt {
            name: req.name.into_owned(),
            instruction: req.instruction.into_owned(),
            prompts,
        });
        Ok(())
    }

    /// Answers a [`ClientEvent::SignRequest`] with the signature blob from the agent. A
    /// signature that does not verify is refused (`ExternalSignatureInvalid`) and the client
    /// moves on to its next method.
    pub fn provide_signature(&mut self, signature_blob: &[u8]) -> Result<(), UserauthError> {
        let Phase::AwaitSignature { index, alg } = self.phase else {
            return Err(UserauthError::NotWaitingFor {
                what: "provide_signature",
            });
        };
        let Some(key) = self.identities.get(index).map(|id| id.public_key().clone()) else {
            return Err(UserauthError::NotWaitingFor {
                what: "provide_signature",
            });
        };
        let blob = key.blob();
        if key
            .verify(alg, &self.signed_data(alg, blob), signature_blob)
            .is_err()
        {
            self.guard(Self::next_method)?;
            return Err(UserauthError::ExternalSignatureInvalid);
        }
        self.send_publickey(index, alg, blob, Some(signature_blob));
        Ok(())
    }

    /// The agent could not sign (refused, gone): try the next identity or method.
    pub fn signing_failed(&mut self) -> Result<(), UserauthError> {
        if !matches!(self.phase, Phase::AwaitSignature { .. }) {
            return Err(UserauthError::NotWaitingFor {
                what: "signing_failed",
            });
        }
        self.guard(Self::next_method)
    }

    /// Answers a [`ClientEvent::Prompt`], one answer per prompt, in order.
    pub fn answer_prompts(&mut self, answers: &[&str]) -> Result<(), UserauthError> {
        let Phase::AwaitAnswers { count } = self.phase else {
            return Err(UserauthError::NotWaitingFor {
                what: "answer_prompts",
            });
        };
        if answers.len() != count {
            return Err(UserauthError::WrongAnswerCount {
                expected: count,
                given: answers.len(),
            });
        }
        self.send_info_response(answers);
        Ok(())
    }

    /// Answers a [`ClientEvent::PasswordPrompt`]; `None` skips the password method.
    pub fn answer_password(&mut self, password: Option<&str>) -> Result<(), UserauthError> {
        if self.phase != Phase::AwaitPasswordAnswer {
            return Err(UserauthError::NotWaitingFor {
                what: "answer_password",
            });
        }
        match password {
            Some(pw) => {
                self.send_password(pw);
                Ok(())
            }
            None => {
                self.password_tries = self.config.password_attempts;
                self.guard(Self::next_method)
            }
        }
    }

    /// Runs `step`, marking the client failed if it errs.
    fn guard(
        &mut self,
        step: fn(&mut Self) -> Result<(), UserauthError>,
    ) -> Result<(), UserauthError> {
        let result = step(self);
        if result.is_err() {
            self.phase = Phase::Failed;
        }
        result
    }

    fn unexpected(&self, number: u8) -> UserauthError {
        let state = match self.phase {
            Phase::AwaitServiceAccept => "waiting for SERVICE_ACCEPT",
            Phase::AwaitNone => "waiting for the reply to none",
            Phase::AwaitPublickey { signed: true, .. } => "waiting for the reply to publickey",
            Phase::AwaitPublickey { signed: false, .. } => "waiting for PK_OK",
            Phase::AwaitSignature { .. } => "waiting for the agent's signature",
            Phase::AwaitKbd => "waiting for the reply to keyboard-interactive",
            Phase::AwaitAnswers { .. } => "waiting for prompt answers",
            Phase::AwaitPasswordAnswer => "waiting for a password",
            Phase::AwaitPassword => "waiting for the reply to password",
            Phase::Done => "authenticated",
            Phase::Failed => "failed",
        };
        UserauthError::UnexpectedMessage { number, state }
    }
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("phase", &self.phase)
            .field("identities", &self.identities)
            .finish_non_exhaustive()
    }
}
