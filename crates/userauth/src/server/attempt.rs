//! One method attempt on the server: publickey (query or signed, any accepted algorithm, plain
//! key or certificate) and
//! password, each decided by the caller's `AuthPolicy`.

use burrow_keys::{Certificate, PublicKey, SigAlg};
use burrow_wire::userauth::{AuthMethod, UserauthPkOk, UserauthRequest, publickey_signed_data};
use bytes::Bytes;

use super::{AuthPolicy, Server, encode};
use crate::Method;

/// The outcome of one method attempt.
pub(super) enum Outcome<P> {
    Fail,
    PkOk(Bytes),
    Success(Method, P),
}

impl<P> Server<P> {
    pub(super) fn try_method(
        &mut self,
        req: &UserauthRequest<'_>,
        policy: &mut dyn AuthPolicy<Permissions = P>,
    ) -> Outcome<P> {
        // OpenSSH treats any service but ssh-connection like an unknown user: every method fails.
        let valid = req.service_name == "ssh-connection";
        match &req.method {
            AuthMethod::Publickey {
                algorithm,
                public_key,
                signature,
            } if valid && self.chains.allows(Method::Publickey) => {
                self.try_publickey(req, algorithm, public_key, signature.as_deref(), policy)
            }
            AuthMethod::Password {
                password,
                new_password: None,
            } if valid && self.chains.allows(Method::Password) => {
                match policy.password(&req.user_name, password) {
                    Some(p) => Outcome::Success(Method::Password, p),
                    None => Outcome::Fail,
                }
            }
            _ => Outcome::Fail,
        }
    }

    fn try_publickey(
        &mut self,
        req: &UserauthRequest<'_>,
        algorithm: &str,
        blob: &[u8],
        signature: Option<&[u8]>,
        policy: &mut dyn AuthPolicy<Permissions = P>,
    ) -> Outcome<P> {
        let Some((key, alg, permissions)) = self.admit_key(req, algorithm, blob, policy) else {
            return Outcome::Fail;
        };
        let Some(signature) = signature else {
            let reply = UserauthPkOk {
                algorithm: algorithm.into(),
                public_key: blob.into(),
            };
            return Outcome::PkOk(encode(|w| reply.encode(w)));
        };
        let signed = publickey_signed_data(
            self.session_id.as_bytes(),
            &req.user_name,
            &req.service_name,
            algorithm,
            blob,
        );
        match key.verify(alg, &signed, signature) {
            Ok(()) => Outcome::Success(Method::Publickey, permissions),
            Err(_) => Outcome::Fail,
        }
    }

    /// The key that must sign, its signature algorithm and the policy's permissions, for a
    /// plain key (`ssh-ed25519`, ...) or a certificate (`ssh-ed25519-cert-v01@openssh.com`,
    /// whose CA signature must use `ca_algorithms`); `None` refuses.
    fn admit_key(
        &self,
        req: &UserauthRequest<'_>,
        algorithm: &str,
        blob: &[u8],
        policy: &mut dyn AuthPolicy<Permissions = P>,
    ) -> Option<(PublicKey, SigAlg, P)> {
        let accepted = |a: &SigAlg| self.config.pubkey_algorithms.contains(a);
        if let Some(alg) = SigAlg::from_cert_name(algorithm).filter(accepted) {
            let cert = Certificate::from_blob(blob, &self.config.ca_algorithms).ok()?;
            if cert.key.key_type() != alg.key_type() {
                return None;
            }
            let permissions = policy.certificate(&req.user_name, &cert)?;
            return Some((cert.key, alg, permissions));
        }
        let alg = SigAlg::from_name(algorithm).filter(accepted)?;
        let key = PublicKey::from_blob(blob).ok()?;
        if key.key_type() != alg.key_type() {
            return None;
        }
        let permissions = policy.public_key(&req.user_name, &key)?;
        Some((key, alg, permissions))
    }
}
