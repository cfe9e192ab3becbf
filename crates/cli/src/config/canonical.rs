//! `CanonicalizeHostname` and its companions: turning a short host name into a fully
//! qualified one by trying each of `CanonicalDomains`, as ssh does before its second pass
//! over the configuration. Name resolution is the caller's (a closure).

use super::ssh_config::SshOptions;
use crate::CliError;

/// `CanonicalizeHostname` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Canonicalize {
    /// No canonicalization (the default).
    #[default]
    No,
    /// For direct connections (no ProxyCommand, no ProxyJump).
    Yes,
    /// For proxied connections too.
    Always,
}

impl Canonicalize {
    /// Parses `yes`/`no` (and `true`/`false`) or `always`.
    pub fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(Self::Yes),
            "no" | "false" => Some(Self::No),
            "always" => Some(Self::Always),
            _ => None,
        }
    }

    /// The word `ssh -G` prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::No => "false",
            Self::Yes => "true",
            Self::Always => "always",
        }
    }
}

/// The canonicalization settings, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalSettings {
    /// CanonicalizeHostname.
    pub mode: Canonicalize,
    /// CanonicalDomains, tried in order.
    pub domains: Vec<String>,
    /// CanonicalizeMaxDots: names with more dots are left alone (1 unless set).
    pub max_dots: u32,
    /// CanonicalizeFallbackLocal: a name no domain completes is used as it is (yes unless
    /// set); else it is an error.
    pub fallback_local: bool,
    /// CanonicalizePermittedCNAMEs as written (burrow does not follow CNAMEs).
    pub permitted_cnames: Option<String>,
}

impl CanonicalSettings {
    /// The settings of `opts`.
    pub fn of(opts: &SshOptions) -> Self {
        Self {
            mode: opts.canonicalize_hostname.unwrap_or_default(),
            domains: opts.canonical_domains.clone().unwrap_or_default(),
            max_dots: opts.canonicalize_max_dots.unwrap_or(1),
            fallback_local: opts.canonicalize_fallback_local.unwrap_or(true),
            permitted_cnames: opts.canonicalize_permitted_cnames.clone(),
        }
    }

    /// The canonical name for `host` (HostName already applied), or `None` to keep it.
    /// `direct`: no ProxyCommand and no ProxyJump. `resolves` says whether a fully
    /// qualified name (with its trailing dot) resolves.
    pub fn canonicalize(
        &self,
        host: &str,
        direct: bool,
        resolves: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Option<String>, CliError> {
        let skip = match self.mode {
            Canonicalize::No => true,
            Canonicalize::Yes => !direct,
            Canonicalize::Always => false,
        };
        // Addresses (and what can only be one) are never completed.
        let address =
            host.contains([':', '%']) || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if skip || host.is_empty() || address {
            return Ok(None);
        }
        if let Some(bare) = host.strip_suffix('.') {
            // Anchored: only check that it resolves.
            if resolves(host) {
                return Ok(Some(bare.to_owned()));
            }
            return self.not_found(host);
        }
        let dots = host.bytes().filter(|&b| b == b'.').count();
        if u32::try_from(dots).map_or(true, |d| d > self.max_dots) {
            tracing::debug!(
                "not canonicalizing hostname \"{host}\" (max dots {})",
                self.max_dots
            );
            return Ok(None);
        }
        for domain in &self.domains {
            let full = format!("{host}.{domain}.");
            tracing::trace!("attempting \"{host}\" => \"{full}\"");
            if resolves(&full) {
                let name = format!("{host}.{domain}");
                tracing::debug!("Canonicalized hostname \"{host}\" => \"{name}\"");
                return Ok(Some(name));
            }
        }
        self.not_found(host)
    }

    fn not_found(&self, host: &str) -> Result<Option<String>, CliError> {
        if self.fallback_local {
            tracing::debug!("host {host} not found in any suffix");
            Ok(None)
        } else {
            Err(CliError::Usage(format!(
                "Could not resolve host \"{host}\""
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ssh_config::apply_option;

    fn settings(lines: &[&str]) -> CanonicalSettings {
        let mut o = SshOptions::default();
        for l in lines {
            apply_option(&mut o, l, &mut Vec::new()).unwrap();
        }
        CanonicalSettings::of(&o)
    }

    fn known(name: &str) -> bool {
        ["web.b.example.", "web.c.example.", "db.example.org."].contains(&name)
    }

    #[test]
    fn each_domain_is_tried_in_order() {
        let s = settings(&[
            "CanonicalizeHostname yes",
            "CanonicalDomains a.example b.example c.example",
        ]);
        let got = s.canonicalize("web", true, &mut known).unwrap();
        assert_eq!(got.as_deref(), Some("web.b.example"));
        assert_eq!(s.canonicalize("nothing", true, &mut known).unwrap(), None);
        // Too many dots, an address, and a proxied connection are left alone.
        assert_eq!(s.canonicalize("web.x.y", true, &mut known).unwrap(), None);
        assert_eq!(s.canonicalize("10.0.0.1", true, &mut known).unwrap(), None);
        assert_eq!(
            s.canonicalize("fe80::1%eth0", true, &mut known).unwrap(),
            None
        );
        assert_eq!(s.canonicalize("web", false, &mut known).unwrap(), None);
    }

    #[test]
    fn always_anchored_names_fallback_and_defaults() {
        let always = settings(&[
            "CanonicalizeHostname always",
            "CanonicalDomains c.example",
            "CanonicalizeMaxDots 0",
            "CanonicalizeFallbackLocal no",
        ]);
        let got = always.canonicalize("web", false, &mut known).unwrap();
        assert_eq!(got.as_deref(), Some("web.c.example"));
        let anchored = always.canonicalize("db.example.org.", false, &mut known);
        assert_eq!(anchored.unwrap().as_deref(), Some("db.example.org"));
        let err = always.canonicalize("gone", true, &mut known).unwrap_err();
        assert_eq!(err.to_string(), "Could not resolve host \"gone\"");
        let off = settings(&[]);
        assert_eq!(off.mode, Canonicalize::No);
        assert_eq!((off.max_dots, off.fallback_local), (1, true));
        assert_eq!(off.canonicalize("web", true, &mut known).unwrap(), None);
    }
}
