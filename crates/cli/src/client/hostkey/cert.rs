//! Host certificates in the client's check: `@cert-authority` and `@revoked` known_hosts
//! lines, the checks ssh makes of a host certificate, and ssh's fall back to the plain key.

use burrow::{CertType, Certificate, PublicKey};
use burrow_keyfiles::KnownHosts;
use burrow_keyfiles::known_hosts::{Marker, host_name};

use super::CliHostKeyCheck;
use burrow::host_key::KnownHostLookup;

impl CliHostKeyCheck {
    /// The first line of every known_hosts file marked `marker` for `host:port` holding
    /// `key` (any key when `None`): (file, line number).
    fn marked(
        &self,
        host: &str,
        port: u16,
        marker: Marker,
        key: Option<&PublicKey>,
    ) -> Option<(String, usize)> {
        self.user_files
            .iter()
            .chain(&self.global_files)
            .find_map(|path| {
                let text = std::fs::read_to_string(path).ok()?;
                KnownHosts::parse(&text)
                    .marked(host, port, marker, key)
                    .map(|e| (path.display().to_string(), e.line))
            })
    }

    /// The name and port known_hosts is searched under (HostKeyAlias replaces both).
    pub(super) fn known_as<'a>(&'a self, host: &'a str, port: u16) -> (&'a str, u16) {
        match &self.alias {
            Some(a) => (a.as_str(), 22),
            None => (host, port),
        }
    }

    /// Whether an `@cert-authority` line is for `host:port`.
    pub(super) fn has_cert_authority(&self, host: &str, port: u16) -> bool {
        let (host, port) = self.known_as(host, port);
        self.marked(host, port, Marker::CertAuthority, None)
            .is_some()
    }

    /// ssh's `check_host_key` for a certificate: refused when the key or its CA is
    /// `@revoked`; trusted when an `@cert-authority` line holds its CA and it is a valid host
    /// certificate for the name; otherwise the plain key inside is checked.
    pub(super) fn check_certificate_key(&self, host: &str, port: u16, cert: &Certificate) -> bool {
        tracing::debug!(
            "Server host certificate: {} {}, serial {} ID \"{}\" CA {} {}",
            cert.cert_key_type,
            cert.key.fingerprint(),
            cert.serial,
            cert.key_id.escape_default(),
            cert.signature_key.key_type(),
            cert.signature_key.fingerprint()
        );
        if self.revoked(&cert.key, Some(cert)) {
            return false;
        }
        let (name, name_port) = self.known_as(host, port);
        for key in [&cert.key, &cert.signature_key] {
            if let Some((file, line)) = self.marked(name, name_port, Marker::Revoked, Some(key)) {
                let line = u64::try_from(line).unwrap_or(u64::MAX);
                let revoked = KnownHostLookup::Revoked { file, line };
                return self.decide_lookup(name, name_port, &cert.key, revoked, false);
            }
        }
        let ca = Some(&cert.signature_key);
        if let Some((file, line)) = self.marked(name, name_port, Marker::CertAuthority, ca) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let valid = cert
                .check(CertType::Host, now, |p| {
                    burrow_keyfiles::match_pattern(p, name)
                })
                .map_err(|e| e.to_string())
                .and_then(
                    |()| match self.ca_algorithms.contains(&cert.signature_alg) {
                        true => Ok(()),
                        false => Err(burrow_keys::CertRefusal::CaAlgorithm(
                            cert.signature_alg.name().to_owned(),
                        )
                        .to_string()),
                    },
                );
            match valid {
                Ok(()) => {
                    tracing::debug!(
                        "Host '{}' is known and matches the {} host certificate.",
                        host_name(name, name_port),
                        cert.type_label()
                    );
                    tracing::debug!("Found CA key in {file}:{line}");
                    return true;
                }
                Err(e) => tracing::error!("{e}"),
            }
        }
        tracing::debug!("No matching CA found. Retry with plain key");
        self.check_plain(host, port, &cert.key)
    }
}
