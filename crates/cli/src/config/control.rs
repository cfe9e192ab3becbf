//! The connection-sharing keywords of ssh_config(5): `ControlMaster` and `ControlPersist`
//! values (`ControlPath` is a path with tokens, kept as written until resolved).

use std::time::Duration;

use super::value::{parse_flag, parse_time};

/// `ControlMaster` (`-M` is `yes`, `-MM` is `ask`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlMaster {
    /// Use a master at ControlPath if there is one (for `-W`), never become one.
    #[default]
    No,
    /// Become the master: listen on ControlPath.
    Yes,
    /// `yes`, but every request that changes something is refused (burrow never prompts:
    /// ssh refuses the same way when no ssh-askpass answers).
    Ask,
    /// Use the master if one answers, else become it.
    Auto,
    /// `auto` with `ask`'s refusals.
    AutoAsk,
}

impl ControlMaster {
    /// `yes`, `no`, `ask`, `auto`, `autoask` (and ssh's `true`/`false`).
    pub fn parse(v: &str) -> Option<Self> {
        if let Some(flag) = parse_flag(v) {
            return Some(if flag {
                ControlMaster::Yes
            } else {
                ControlMaster::No
            });
        }
        Some(match v.to_ascii_lowercase().as_str() {
            "ask" => ControlMaster::Ask,
            "auto" => ControlMaster::Auto,
            "autoask" => ControlMaster::AutoAsk,
            _ => return None,
        })
    }

    /// The name `ssh -G` prints.
    pub fn name(self) -> &'static str {
        match self {
            ControlMaster::No => "false",
            ControlMaster::Yes => "true",
            ControlMaster::Ask => "ask",
            ControlMaster::Auto => "auto",
            ControlMaster::AutoAsk => "autoask",
        }
    }

    /// Whether this process listens on ControlPath (when no master answers there yet).
    pub fn is_master(self) -> bool {
        self != ControlMaster::No
    }

    /// Whether an existing master is tried first.
    pub fn tries_existing(self) -> bool {
        matches!(
            self,
            ControlMaster::No | ControlMaster::Auto | ControlMaster::AutoAsk
        )
    }

    /// Whether the master refuses requests that ssh would ask about.
    pub fn asks(self) -> bool {
        matches!(self, ControlMaster::Ask | ControlMaster::AutoAsk)
    }
}

/// `ControlPersist`: `no`, `yes` (0 is `yes`) or an idle time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlPersist {
    /// The master stays in the foreground, as any burrow.
    #[default]
    No,
    /// The master goes to the background once it listens, and stays.
    Yes,
    /// As `Yes`, and it exits after this long with no mux client and no forwarded
    /// connection open.
    Idle(Duration),
}

impl ControlPersist {
    /// `yes`, `no`, or a time (`0` means `yes`, as ssh).
    pub fn parse(v: &str) -> Option<Self> {
        if let Some(flag) = parse_flag(v) {
            return Some(if flag {
                ControlPersist::Yes
            } else {
                ControlPersist::No
            });
        }
        Some(match parse_time(v)? {
            0 => ControlPersist::Yes,
            secs => ControlPersist::Idle(Duration::from_secs(secs)),
        })
    }

    /// What `ssh -G` prints: `no`, `yes`, or the seconds.
    pub fn name(self) -> String {
        match self {
            ControlPersist::No => "no".to_owned(),
            ControlPersist::Yes => "yes".to_owned(),
            ControlPersist::Idle(d) => d.as_secs().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_master_values() {
        assert_eq!(ControlMaster::parse("YES"), Some(ControlMaster::Yes));
        assert_eq!(ControlMaster::parse("no"), Some(ControlMaster::No));
        assert_eq!(
            ControlMaster::parse("autoask"),
            Some(ControlMaster::AutoAsk)
        );
        assert_eq!(ControlMaster::parse("maybe"), None);
        assert!(ControlMaster::Auto.is_master() && ControlMaster::Auto.tries_existing());
        assert!(!ControlMaster::Yes.tries_existing());
        assert!(ControlMaster::Ask.asks());
    }

    #[test]
    fn control_persist_values() {
        assert_eq!(ControlPersist::parse("no"), Some(ControlPersist::No));
        assert_eq!(ControlPersist::parse("yes"), Some(ControlPersist::Yes));
        assert_eq!(ControlPersist::parse("0"), Some(ControlPersist::Yes));
        assert_eq!(
            ControlPersist::parse("10m"),
            Some(ControlPersist::Idle(Duration::from_secs(600)))
        );
        assert_eq!(ControlPersist::parse("soon"), None);
        assert_eq!(
            ControlPersist::parse("10m")
                .map(ControlPersist::name)
                .as_deref(),
            Some("600")
        );
    }
}
