//! The monitor of a per-connection process: holds the host keys and decides logins for its
//! sandboxed protocol child; once the child proves a login (the monitor checks the user's
//! signature itself), becomes the user for good and opens that user's sockets for the child.

use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use burrow::{Certificate, KeyPair, PublicKey};
use burrow_forward::{Direct, LocalListener, LocalStream, Sockets};
use burrow_keys::SigAlg;
use burrow_wire::userauth::{AuthMethod, UserauthRequest, publickey_signed_data};

use super::auth::LoginPolicy;
use super::broker::{Reply, Request};
use super::fdpass;

/// Most key queries a child may make (a compromised one cannot probe without end).
const MAX_QUERIES: u32 = 1024;

/// What the monitor knows and decides before the login.
pub struct Monitor {
    /// The host keys.
    pub keys: Vec<KeyPair>,
    /// Who may log in.
    pub login: LoginPolicy,
    /// The client's address, read from the socket by the monitor itself.
    pub peer: SocketAddr,
    /// PubkeyAcceptedAlgorithms.
    pub pubkey_algorithms: Vec<SigAlg>,
    /// CASignatureAlgorithms: what a user certificate's CA may have signed with.
    pub ca_algorithms: Vec<SigAlg>,
    /// The first exchange hash signed: the session id.
    pub session_id: Option<Vec<u8>>,
    /// The user once authenticated.
    pub user: Option<String>,
    queries: u32,
}

impl Monitor {
    /// A monitor before the key exchange.
    pub fn new(
        keys: Vec<KeyPair>,
        login: LoginPolicy,
        peer: SocketAddr,
        pubkey_algorithms: Vec<SigAlg>,
        ca_algorithms: Vec<SigAlg>,
    ) -> Self {
        Self {
            keys,
            login,
            peer,
            pubkey_algorithms,
            ca_algorithms,
            session_id: None,
            user: None,
            queries: 0,
        }
    }

    /// Answers a request that needs no socket; `None` for the user's socket requests.
    pub fn answer(&mut self, req: &Request) -> Option<Reply> {
        Some(match req {
            Request::HostKeys => Reply::Keys(
                self.keys
                    .iter()
                    .map(|k| k.public_key().blob().to_vec())
                    .collect(),
            ),
            Request::Sign { alg, data } => self.sign(alg, data),
            Request::AuthQuery { user, key } if self.user.is_none() => {
                self.queries = self.queries.saturating_add(1);
                if self.queries > MAX_QUERIES {
                    return Some(Reply::Refused("too many key queries".into()));
                }
                let options = match PublicKey::from_blob(key) {
                    Ok(k) => self.login.authorize(self.peer, user, &k),
                    Err(e) => match Certificate::from_blob(key, &self.ca_algorithms) {
                        Ok(c) => self.login.authorize_certificate(self.peer, user, &c),
                        Err(_) => return Some(Reply::Refused(format!("bad key: {e}"))),
                    },
                };
                match options {
                    Some(o) => Reply::Options(o),
                    None => Reply::Refused("key not accepted".into()),
                }
            }
            Request::Authenticate { request } if self.user.is_none() => {
                match self.verify(request) {
                    Ok(user) => match super::privsep::become_logged_in_user(&user) {
                        Ok(()) => {
                            self.user = Some(user);
                            Reply::Done
                        }
                        Err(e) => Reply::failed(&e),
                    },
                    Err(why) => {
                        tracing::error!(
                            "monitor refused a login claimed by the protocol process from {}: {why}",
                            self.peer
                        );
                        Reply::Refused(why)
                    }
                }
            }
            Request::AuthQuery { .. } | Request::Authenticate { .. } => {
                Reply::Refused("already authenticated".into())
            }
            _ if self.user.is_none() => Reply::Refused("not authenticated".into()),
            Request::Report { json } => {
                let user = self.user.as_deref().unwrap_or_default();
                super::privsep::report_to_listener(user, json);
                Reply::Done
            }
            _ => return None,
        })
    }

    fn sign(&mut self, alg: &str, data: &[u8]) -> Reply {
        // Exchange hashes only (SHA-256, -384, -512): no signing oracle for other data.
        if ![32, 48, 64].contains(&data.len()) {
            return Reply::Refused(format!("{} bytes is not an exchange hash", data.len()));
        }
        let Some(alg) = SigAlg::from_name(alg) else {
            return Reply::Refused(format!("unknown algorithm {alg:?}"));
        };
        let Some(key) = self
            .keys
            .iter()
            .find(|k| k.public_key().key_type() == alg.key_type())
        else {
            return Reply::Refused(format!("no {} host key", alg.key_type()));
        };
        match key.sign(alg, data, &mut rand_core::OsRng) {
            Ok(sig) => {
                if self.session_id.is_none() {
                    self.session_id = Some(data.to_vec());
                }
                Reply::Signature(sig)
            }
            Err(e) => Reply::Refused(e.to_string()),
        }
    }

    /// Checks a claimed login: a publickey USERAUTH_REQUEST with a signature, by a key the
    /// login policy accepts for that user from this address, signed over this session's id.
    /// Returns the user.
    pub fn verify(&self, payload: &[u8]) -> Result<String, String> {
        let Some(session_id) = &self.session_id else {
            return Err("no key exchange yet".into());
        };
        let req = UserauthRequest::decode(payload).map_err(|e| format!("request: {e}"))?;
        let AuthMethod::Publickey {
            algorithm,
            public_key,
            signature: Some(signature),
        } = &req.method
        else {
            return Err(format!(
                "method {} is not a signed publickey",
                req.method.name()
            ));
        };
        if req.service_name != "ssh-connection" {
            return Err(format!("service {:?}", req.service_name));
        }
        // A user certificate signs with its certified key under the plain algorithm; the
        // base algorithm must be accepted, as for a plain key.
        let cert_alg = SigAlg::from_cert_name(algorithm);
        let alg = cert_alg
            .or_else(|| SigAlg::from_name(algorithm))
            .filter(|a| self.pubkey_algorithms.contains(a))
            .ok_or_else(|| format!("algorithm {algorithm:?} not accepted"))?;
        let (key, accepted) = if cert_alg.is_some() {
            let cert = Certificate::from_blob(public_key, &self.ca_algorithms)
                .map_err(|e| format!("certificate: {e}"))?;
            let ok = self
                .login
                .authorize_certificate(self.peer, &req.user_name, &cert)
                .is_some();
            (cert.key, ok)
        } else {
            let key = PublicKey::from_blob(public_key).map_err(|e| format!("key: {e}"))?;
            let ok = self
                .login
                .authorize(self.peer, &req.user_name, &key)
                .is_some();
            (key, ok)
        };
        if key.key_type() != alg.key_type() {
            return Err(format!("{} key with algorithm {algorithm}", key.key_type()));
        }
        if !accepted {
            return Err(format!("key {} not accepted", key.fingerprint()));
        }
        let signed = publickey_signed_data(
            session_id,
            &req.user_name,
            &req.service_name,
            algorithm,
            public_key,
        );
        key.verify(alg, &signed, signature)
            .map_err(|e| format!("signature of {}: {e}", key.fingerprint()))?;
        Ok(req.user_name.into_owned())
    }
}

/// Opens a socket for the logged-in user (the monitor has the user's rights now) and
/// returns the descriptors to pass.
pub async fn open_socket(req: Request) -> std::io::Result<Vec<OwnedFd>> {
    let direct = Direct;
    match req {
        Request::Connect { target, timeout_ms } => {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            Ok(vec![match direct.connect(&target, timeout).await? {
                LocalStream::Tcp(s) => s.into_std()?.into(),
                LocalStream::Unix(s) => s.into_std()?.into(),
            }])
        }
        Request::BindTcp { addr, port } => match direct.bind_tcp(&addr, port).await? {
            LocalListener::Tcp(ls) => ls
                .into_iter()
                .take(fdpass::MAX_FDS)
                .map(|l| l.into_std().map(OwnedFd::from))
                .collect(),
            LocalListener::Unix(l) => Ok(vec![l.into_std()?.into()]),
        },
        Request::BindUnix { path, unlink } => {
            match direct.bind_unix(path.as_ref(), unlink).await? {
                LocalListener::Unix(l) => Ok(vec![l.into_std()?.into()]),
                LocalListener::Tcp(_) => Err(std::io::Error::other("not a unix listener")),
            }
        }
        Request::RemoveSocket { path } => {
            direct.remove_socket(path.as_ref())?;
            Ok(Vec::new())
        }
        other => Err(std::io::Error::other(format!(
            "not a socket request: {other:?}"
        ))),
    }
}

/// Sends `reply` with `fds` on a reply socket, logging a failure.
pub fn send_reply(to: &OwnedFd, reply: &Reply, fds: &[OwnedFd]) {
    let fds: Vec<BorrowedFd<'_>> = fds.iter().map(AsFd::as_fd).collect();
    if let Err(e) = fdpass::send(to, &reply.to_bytes(), &fds) {
        tracing::debug!("broker reply not sent: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::sshd_config::SshdOptions;

    /// A monitor whose login policy accepts `user_key` for the user running the tests,
    /// through an AuthorizedKeysFile in a temp dir.
    fn monitor(user_key: &KeyPair, dir: &std::path::Path) -> (Monitor, String) {
        let me = crate::sys::current_user();
        std::fs::create_dir_all(dir).unwrap();
        let file = dir.join("authorized_keys");
        std::fs::write(&file, user_key.public_key().to_openssh_line("t") + "\n").unwrap();
        let mut options = SshdOptions::default();
        crate::config::sshd_config::apply_option(
            &mut options,
            &format!("AuthorizedKeysFile {}", file.display()),
        )
        .unwrap();
        crate::config::sshd_config::apply_option(&mut options, "StrictModes no").unwrap();
        let login = LoginPolicy {
            options,
            me: me.clone(),
        };
        let m = Monitor::new(
            vec![KeyPair::from_ed25519_seed(&[5; 32])],
            login,
            "127.0.0.1:40000".parse().unwrap(),
            vec![SigAlg::Ed25519],
            vec![SigAlg::Ed25519],
        );
        (m, me.name)
    }

    fn signed_request(key: &KeyPair, user: &str, session_id: &[u8]) -> Vec<u8> {
        let blob = key.public_key().blob().to_vec();
        let data = publickey_signed_data(session_id, user, "ssh-connection", "ssh-ed25519", &blob);
        let sig = key
            .sign(SigAlg::Ed25519, &data, &mut rand_core::OsRng)
            .unwrap();
        UserauthRequest {
            user_name: user.into(),
            service_name: "ssh-connection".into(),
            method: AuthMethod::Publickey {
                algorithm: "ssh-ed25519".into(),
                public_key: blob.into(),
                signature: Some(sig.into()),
            },
        }
        .to_bytes()
        .to_vec()
    }

    #[test]
    fn a_login_needs_the_users_signature_over_the_signed_session_id() {
        let dir = std::env::temp_dir().join(format!("burrowd-mon-{}", std::process::id()));
        let user_key = KeyPair::from_ed25519_seed(&[9; 32]);
        let (mut m, user) = monitor(&user_key, &dir);
        // Before any exchange hash was signed there is no session to log in to.
        let h = [0x48u8; 32];
        let good_for_h = signed_request(&user_key, &user, &h);
        assert!(
            m.verify(&good_for_h)
                .unwrap_err()
                .contains("no key exchange")
        );
        let Some(Reply::Signature(_)) = m.answer(&Request::Sign {
            alg: "ssh-ed25519".into(),
            data: h.to_vec(),
        }) else {
            panic!("the monitor did not sign");
        };
        // A later signature (a rekey) does not change the session id.
        m.answer(&Request::Sign {
            alg: "ssh-ed25519".into(),
            data: vec![0x52; 64],
        });
        // Anything but an exchange hash is not signed.
        assert!(matches!(
            m.answer(&Request::Sign {
                alg: "ssh-ed25519".into(),
                data: b"a message of the attacker's".to_vec(),
            }),
            Some(Reply::Refused(_))
        ));
        assert_eq!(m.verify(&good_for_h), Ok(user.clone()));
        // Signed for another session id: refused.
        let other_session = signed_request(&user_key, &user, &[0x4f; 32]);
        assert!(m.verify(&other_session).unwrap_err().contains("signature"));
        // A signature by another key over the right data, claimed for the accepted key.
        let mut forged = signed_request(&KeyPair::from_ed25519_seed(&[8; 32]), &user, &h);
        let accepted = signed_request(&user_key, &user, &h);
        let n = accepted.len();
        // Same layout: keep the accepted key's blob, take the other key's signature.
        forged[..n - 83].copy_from_slice(&accepted[..n - 83]);
        assert!(m.verify(&forged).unwrap_err().contains("signature"));
        // A key the policy does not accept, even when correctly signed.
        let stranger = KeyPair::from_ed25519_seed(&[7; 32]);
        let unknown = signed_request(&stranger, &user, &h);
        assert!(m.verify(&unknown).unwrap_err().contains("not accepted"));
        // A query without a signature is no login.
        let query = UserauthRequest {
            user_name: user.as_str().into(),
            service_name: "ssh-connection".into(),
            method: AuthMethod::Publickey {
                algorithm: "ssh-ed25519".into(),
                public_key: user_key.public_key().blob().to_vec().into(),
                signature: None,
            },
        }
        .to_bytes();
        assert!(m.verify(&query).is_err());
        // Socket requests before the login are refused.
        assert!(matches!(
            m.answer(&Request::RemoveSocket {
                path: "/etc/passwd".into()
            }),
            Some(Reply::Refused(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
