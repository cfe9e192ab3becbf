//! The client's handshake after the key exchange: user authentication with key pairs,
//! ssh-agent signatures and prompt callbacks, then the start of the connection layer.

use burrow_userauth::{ClientEvent, Identity, Method, UserauthError};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::agent::Agent;
use crate::client::ClientConfig;
use crate::core::SessionCore;
use crate::driver::Driver;
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
    let mut identities: Vec<Identity> =
        config.keys.iter().cloned().map(Identity::KeyPair).collect();
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
        match a.keys().await {
            Ok(keys) => identities.extend(
                keys.into_iter()
                    .filter(|k| {
                        config
                            .agent_only_keys
                            .as_ref()
                            .is_none_or(|only| only.contains(k))
                    })
                    .map(Identity::External),
            ),
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
        let events = {
            let mut core = driver.shared.lock();
            step_auth(&mut core, &mut auth)?
        };
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

/// Feeds received userauth payloads to the client machine; returns its events.
fn step_auth(
    core: &mut SessionCore,
    auth: &mut burrow_userauth::Client,
) -> Result<Vec<ClientEvent>, Error> {
    while let Some(p) = auth.poll_payload() {
        core.send_auth_payload(&p)?;
    }
    let mut events = Vec::new();
    while !auth.is_authenticated() {
        let Some(p) = core.auth_inbox.pop_front() else {
            break;
        };
        if let Err(e) = auth.handle_payload(&p) {
            let kind = match e {
                UserauthError::PermissionDenied { methods, .. } => {
                    ErrorKind::AuthenticationFailed {
                        methods_left: methods,
                    }
                }
                other => ErrorKind::Userauth(other),
            };
            return Err(core.error(kind));
        }
        while let Some(ev) = auth.poll_event() {
            events.push(ev);
        }
        while let Some(p) = auth.poll_payload() {
            core.send_auth_payload(&p)?;
        }
    }
    Ok(events)
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
    r.map_err(|e| {
        let kind = match e {
            UserauthError::PermissionDenied { methods, .. } => ErrorKind::AuthenticationFailed {
                methods_left: methods,
            },
            other => ErrorKind::Userauth(other),
        };
        driver.shared.lock().error(kind)
    })
}
