//! `Certificate`: an OpenSSH certificate (PROTOCOL.certkeys) of any implemented key type, its
//! CA signature check and the checks a server or client makes before trusting it.

use core::fmt;

use burrow_wire::Reader;

use crate::error::input_name;
use crate::public_key::read_key;
use crate::{KeyError, PublicKey, SigAlg};

/// The most principals a certificate may list (OpenSSH's `SSHKEY_CERT_MAX_PRINCIPALS`).
pub const MAX_PRINCIPALS: usize = 256;
/// The most critical options, or extensions, a certificate may carry.
pub const MAX_OPTIONS: usize = 64;

/// Whether a certificate is for a user or a host (`SSH_CERT_TYPE_USER` = 1, `_HOST` = 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertType {
    /// Authenticates a user to a server.
    User,
    /// Authenticates a server's host key to a client.
    Host,
}

/// One critical option or extension: a name and its data (for the options OpenSSH defines,
/// either empty or one string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertOption {
    /// The option name (`force-command`, `permit-port-forwarding`, ...).
    pub name: String,
    /// The raw data field.
    pub data: Vec<u8>,
}

impl CertOption {
    /// The data as the one string it holds (`force-command`, `source-address`), or `None`.
    pub fn value(&self) -> Option<&str> {
        let mut r = Reader::new(&self.data);
        let v = r.string("certificate option value").ok()?;
        r.finish("certificate option").ok()?;
        core::str::from_utf8(v).ok()
    }
}

/// Why a well-formed certificate is not trusted; the texts are OpenSSH's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertRefusal {
    /// A host certificate offered as a user's, or the other way round.
    WrongType(CertType),
    /// `now` is before valid_after.
    NotYetValid,
    /// `now` is at or after valid_before.
    Expired,
    /// The principal list is empty.
    NoPrincipals,
    /// The name is not among the principals.
    PrincipalNotListed,
    /// The CA signed with an algorithm outside `CASignatureAlgorithms`.
    CaAlgorithm(String),
    /// The type field is neither 1 nor 2.
    UnknownType(u32),
    /// More principals or options than the limit.
    TooMany {
        /// Which list.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The certificate's key type differs from the algorithm it was offered under.
    KeyTypeMismatch,
    /// A critical option or extension name appears twice.
    RepeatedOption(String),
}

impl fmt::Display for CertRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongType(CertType::User) => {
                write!(f, "Certificate invalid: not a user certificate")
            }
            Self::WrongType(CertType::Host) => {
                write!(f, "Certificate invalid: not a host certificate")
            }
            Self::NotYetValid => write!(f, "Certificate invalid: not yet valid"),
            Self::Expired => write!(f, "Certificate invalid: expired"),
            Self::NoPrincipals => write!(f, "Certificate lacks principal list"),
            Self::PrincipalNotListed => {
                write!(f, "Certificate invalid: name is not a listed principal")
            }
            Self::CaAlgorithm(name) => write!(
                f,
                "certificate signature algorithm {name:?} is not in CASignatureAlgorithms"
            ),
            Self::UnknownType(t) => write!(f, "certificate has unknown type {t}"),
            Self::TooMany { what, limit } => {
                write!(f, "certificate has more than {limit} {what}")
            }
            Self::KeyTypeMismatch => {
                write!(f, "certificate key type differs from the offered algorithm")
            }
            Self::RepeatedOption(name) => write!(f, "certificate option {name:?} appears twice"),
        }
    }
}

/// A parsed certificate whose CA signature has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    blob: Vec<u8>,
    /// The certificate type name (`ssh-ed25519-cert-v01@openssh.com`, ...).
    pub cert_key_type: &'static str,
    /// The CA's random nonce.
    pub nonce: Vec<u8>,
    /// The certified key.
    pub key: PublicKey,
    /// The serial number (0 when the CA did not set one).
    pub serial: u64,
    /// User or host.
    pub cert_type: CertType,
    /// The key id, free text chosen by the CA (used in logs).
    pub key_id: String,
    /// The principals (user or host names) it is valid for.
    pub principals: Vec<String>,
    /// Valid from this unix time (inclusive).
    pub valid_after: u64,
    /// Valid until this unix time (exclusive).
    pub valid_before: u64,
    /// Critical options: a verifier that does not know one must refuse the certificate.
    pub critical_options: Vec<CertOption>,
    /// Extensions: unknown ones are ignored.
    pub extensions: Vec<CertOption>,
    /// The CA key.
    pub signature_key: PublicKey,
    /// The algorithm the CA signed with.
    pub signature_alg: SigAlg,
}

impl Certificate {
    /// Parses a certificate blob and verifies its CA signature, which must use one of
    /// `ca_algorithms` (OpenSSH's `CASignatureAlgorithms`). Every count is bounded.
    pub fn from_blob(blob: &[u8], ca_algorithms: &[SigAlg]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let name = r.string("certificate.type")?;
        // RSA signature names (rsa-sha2-256, ...) are not key types: only ssh-rsa-cert is.
        let Some(alg) = core::str::from_utf8(name)
            .ok()
            .and_then(SigAlg::from_cert_name)
            .filter(|a| a.name() == a.key_type())
        else {
            return Err(KeyError::UnsupportedKeyType {
                name: input_name(name),
            });
        };
        let nonce = r.string("certificate.nonce")?.to_vec();
        let key = PublicKey::from_key(read_key(alg.key_type().as_bytes(), &mut r)?);
        let serial = r.uint64("certificate.serial")?;
        let cert_type = match r.uint32("certificate.type")? {
            1 => CertType::User,
            2 => CertType::Host,
            t => return Err(KeyError::Certificate(CertRefusal::UnknownType(t))),
        };
        let key_id = input_text(r.string("certificate.key id")?);
        let mut principals = Vec::new();
        let mut list = Reader::new(r.string("certificate.valid principals")?);
        while !list.is_empty() {
            if principals.len() == MAX_PRINCIPALS {
                return Err(too_many("principals", MAX_PRINCIPALS));
            }
            principals.push(input_text(list.string("certificate principal")?));
        }
        let valid_after = r.uint64("certificate.valid after")?;
        let valid_before = r.uint64("certificate.valid before")?;
        let critical_options = options(
            r.string("certificate.critical options")?,
            "critical options",
        )?;
        let extensions = options(r.string("certificate.extensions")?, "extensions")?;
        r.string("certificate.reserved")?;
        let signature_key = PublicKey::from_blob(r.string("certificate.signature key")?)?;
        let signed_len = blob.len() - r.remaining();
        let signature = r.string("certificate.signature")?;
        r.finish("certificate")?;
        let alg_name = Reader::new(signature).string("certificate signature.algorithm")?;
        let signature_alg = core::str::from_utf8(alg_name)
            .ok()
            .and_then(SigAlg::from_name)
            .filter(|a| ca_algorithms.contains(a))
            .ok_or_else(|| KeyError::Certificate(CertRefusal::CaAlgorithm(input_name(alg_name))))?;
        let signed = blob.get(..signed_len).unwrap_or_default();
        signature_key.verify(signature_alg, signed, signature)?;
        Ok(Self {
            blob: blob.to_vec(),
            cert_key_type: alg.cert_name(),
            nonce,
            key,
            serial,
            cert_type,
            key_id,
            principals,
            valid_after,
            valid_before,
            critical_options,
            extensions,
            signature_key,
            signature_alg,
        })
    }

    /// The certificate blob as it travels on the wire.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// Whether the certificate is of type `want`, valid at unix time `now`, lists at least one
    /// principal and one that `listed` accepts, as OpenSSH's `sshkey_cert_check_authority`
    /// decides. `listed` compares a principal with the name asked for: equality for users,
    /// the principal as a pattern for hosts, `|_| true` when no name is asked for.
    pub fn check(
        &self,
        want: CertType,
        now: u64,
        listed: impl Fn(&str) -> bool,
    ) -> Result<(), CertRefusal> {
        if self.cert_type != want {
            return Err(CertRefusal::WrongType(want));
        }
        if now < self.valid_after {
            return Err(CertRefusal::NotYetValid);
        }
        if now >= self.valid_before {
            return Err(CertRefusal::Expired);
        }
        if self.principals.is_empty() {
            return Err(CertRefusal::NoPrincipals);
        }
        if self.principals.iter().any(|p| listed(p)) {
            Ok(())
        } else {
            Err(CertRefusal::PrincipalNotListed)
        }
    }

    /// The critical option `name`, if present.
    pub fn critical_option(&self, name: &str) -> Option<&CertOption> {
        self.critical_options.iter().find(|o| o.name == name)
    }

    /// Whether the extension `name` (e.g. `permit-port-forwarding`) is present.
    pub fn has_extension(&self, name: &str) -> bool {
        self.extensions.iter().any(|o| o.name == name)
    }

    /// OpenSSH's label in logs: the key's label and `-CERT` (`ED25519-CERT`, `RSA-CERT`).
    pub fn type_label(&self) -> String {
        format!("{}-CERT", self.key.type_label())
    }
}

/// Reads a critical-options or extensions list: `(string name, string data)*`, at most
/// [`MAX_OPTIONS`] of them, no name twice.
fn options(raw: &[u8], what: &'static str) -> Result<Vec<CertOption>, KeyError> {
    let mut r = Reader::new(raw);
    let mut out: Vec<CertOption> = Vec::new();
    while !r.is_empty() {
        if out.len() == MAX_OPTIONS {
            return Err(too_many(what, MAX_OPTIONS));
        }
        let name = input_text(r.string("certificate option name")?);
        let data = r.string("certificate option data")?.to_vec();
        if out.iter().any(|o| o.name == name) {
            return Err(KeyError::Certificate(CertRefusal::RepeatedOption(
                input_name(name.as_bytes()),
            )));
        }
        out.push(CertOption { name, data });
    }
    Ok(out)
}

fn too_many(what: &'static str, limit: usize) -> KeyError {
    KeyError::Certificate(CertRefusal::TooMany { what, limit })
}

/// Text from the certificate, lossy UTF-8 (it is bounded by the blob's length).
fn input_text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

#[cfg(test)]
mod tests;
