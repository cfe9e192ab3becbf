//! The client's handshake after the key exchange: user authentication with key pairs,
//! ssh-agent signatures and prompt callbacks, then the start of the connection layer.

use burrow_keys::{Certificate, PublicKey};
use burrow_userauth::{ClientEvent, Identity, Method, UserauthError};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::agent::Agent;
use crate::client::ClientConfig;
use crate::driver::{Driver, Shared};
use crate::error::{Error, ErrorKind, Phase};

/// Runs the key exchange and user authentication, then starts the connection layer.
pub(crate) async fn authenticate<S>(
    driver: &mut Driver<S>,
    config: &ClientConfig,
    host: &str,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    driver
        .run_until(|core| Ok(core.phase != Phase::KeyExchange))
        .await?;
    let mut identities = Vec::new();
    for key in &config.keys {
        for cert in certificates_for(&config.certificates, key.public_key()) {
            identities.push(certified(Identity::KeyPair(key.clone()), cert));
        }
        identities.push(Identity::KeyPair(key.clone()));
    }
    let mut agent = match &config.agent {
        Some(path) => match Agent::connect(path).await {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::debug!(error = %e, "ssh-agent unavailable");
                None
            }
        },
        None => None,
    };
    if let Some(a) = agent.as_mut() {
        match a.keys_and_certificates().await {
            Ok((keys, certs)) => {
                let wanted = |k: &PublicKey| {
                    if let Err(e) = k.check_rsa_size(config.required_rsa_size) {
                        tracing::debug!("ignoring {} agent key: {e}", k.key_type());
                        return false;
                    }
                    config
                        .agent_only_keys
                        .as_ref()
                        .is_none_or(|only| only.contains(k))
                };
                for key in keys.into_iter().filter(wanted) {
                    for cert in certificates_for(&certs, &key) {
                        identities.push(certified(Identity::External(key.clone()), cert));
                    }
                    identities.push(Identity::External(key));
                }
            }
            Err(e) => tracing::debug!(error = %e, "ssh-agent listed no keys"),
        }
    }
    let mut ua_config = burrow_userauth::ClientConfig::new(config.user.clone(), host);
    ua_config.methods = config.methods.clone();
    ua_config.pubkey_algorithms = config.pubkey_algorithms.clone();
    if config.prompt.is_none() || config.host_key_check.untrusted() {
        ua_config
            .methods
            .retain(|m| !matches!(m, Method::KeyboardInteractive | Method::Password));
    }
    let mut auth = {
        let core = driver.shared.lock();
        let Some(session_id) = core.transport.session_id().cloned() else {
            return Err(core.error(ErrorKind::LocallyClosed));
        };
        let mut auth = burrow_userauth::Client::new(
            ua_config,
            session_id,
            identities,
            Box::new(rand_core::OsRng),
        );
        if let Some(algs) = core.transport.server_sig_algs() {
            auth.set_server_sig_algs(algs.to_vec());
        }
        auth
    };
    loop {
        let events = step_auth(&driver.shared, &mut auth)?;
        for event in events {
            answer(event, &mut auth, agent.as_mut(), config, driver).await?;
        }
        {
            let mut core = driver.shared.lock();
            while let Some(p) = auth.poll_payload() {
                core.send_auth_payload(&p)?;
            }
            if let Some(proof) = auth.take_authenticated() {
                core.start_connection(&proof);
                return core.replay_inbox();
            }
        }
        driver.turn().await?;
    }
}

/// Feeds received userauth payloads to the client machine, one at a time with the lock
/// released (our own keys sign in there); returns its events.
fn step_auth(
    shared: &Shared,
    auth: &mut burrow_userauth::Client,
) -> Result<Vec<ClientEvent>, Error> {
    let mut events = Vec::new();
    loop {
        let next = {
            let mut core = shared.lock();
            while let Some(p) = auth.poll_payload() {
                core.send_auth_payload(&p)?;
            }
            // What follows USERAUTH_SUCCESS stays for the connection layer.
            if auth.is_authenticated() {
                None
            } else {
                core.auth_inbox.pop_front()
            }
        };
        let Some(p) = next else {
            return Ok(events);
        };
        auth.handle_payload(&p)
            .map_err(|e| shared.lock().error(auth_error(e)))?;
        events.extend(std::iter::from_fn(|| auth.poll_event()));
    }
}

/// What a userauth error ends the session as.
fn auth_error(e: UserauthError) -> ErrorKind {
    match e {
        UserauthError::PermissionDenied { methods, .. } => ErrorKind::AuthenticationFailed {
            methods_left: methods,
        },
        other => ErrorKind::Userauth(other),
    }
}

/// Answers one userauth event. Agent round trips and prompts run without the session lock
/// (prompts on a blocking thread: they may wait on a terminal) while the driver writes what
/// is queued; reads wait for the answer.
async fn answer<S>(
    event: ClientEvent,
    auth: &mut burrow_userauth::Client,
    agent: Option<&mut Agent>,
    config: &ClientConfig,
    driver: &mut Driver<S>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let r = match event {
        ClientEvent::Banner { message } => {
            if let Some(p) = &config.prompt {
                p.banner(&message);
            }
            Ok(())
        }
        ClientEvent::SignRequest {
            key_blob,
            algorithm,
            data,
        } => {
            let sig = match agent {
                Some(a) => driver
                    .wait_for(a.sign(&key_blob, algorithm, &data))
                    .await?
                    .ok(),
                None => None,
            };
            match sig {
                Some(s) => auth.provide_signature(&s),
                None => auth.signing_failed(),
            }
        }
        ClientEvent::Prompt {
            name,
            instruction,
            prompts,
        } => {
            let count = prompts.len();
            let answers = match config.prompt.clone() {
                Some(p) => {
                    let ask = move || p.keyboard_interactive(&name, &instruction, &prompts);
                    driver.blocking(ask).await?.flatten()
                }
                None => None,
            };
            match answers {
                Some(a) => {
                    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
                    auth.answer_prompts(&refs)
                }
                None => auth.answer_prompts(&vec![""; count]),
            }
        }
        ClientEvent::PasswordPrompt { prompt } => {
            let pw = match config.prompt.clone() {
                Some(p) => driver
                    .blocking(move || p.password(&prompt))
                    .await?
                    .flatten(),
                None => None,
            };
            auth.answer_password(pw.as_deref())
        }
        ClientEvent::Failure { .. } | ClientEvent::Success => Ok(()),
    };
    r.map_err(|e| driver.shared.lock().error(auth_error(e)))
}

/// The certificates of `certs` that certify `key`.
fn certificates_for<'a>(
    certs: &'a [Certificate],
    key: &'a PublicKey,
) -> impl Iterator<Item = &'a Certificate> {
    certs.iter().filter(move |c| &c.key == key)
}

/// `cert` offered for the key of `key`.
fn certified(key: Identity, cert: &Certificate) -> Identity {
    Identity::Certified {
        key: Box::new(key),
        cert: Box::new(cert.clone()),
    }
}
