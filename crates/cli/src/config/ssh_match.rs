//! ssh_config(5) `Match` lines: the criteria OpenSSH has (`all`, `canonical`, `final`,
//! `exec`, `host`, `originalhost`, `user`, `localuser`, `localnetwork`, `tagged`, `version`) evaluated as
//! OpenSSH's `match_cfg_line` does, including the two-pass `final` semantics.

use core::net::IpAddr;

use burrow_keyfiles::authorized_keys::from_allows;
use burrow_keyfiles::match_pattern_list;

use super::client::expand_tokens;
use super::tokens::connection_hash;

/// What `version` criteria match against.
pub const VERSION: &str = concat!("burrow_", env!("CARGO_PKG_VERSION"));

/// Criteria burrow cannot evaluate: warned about, and never matching.
const UNSUPPORTED: &[&str] = &["command", "sessiontype"];

/// What a Match line is evaluated against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchContext {
    /// The destination as typed (`originalhost`, `%n`).
    pub original_host: String,
    /// The local user (`localuser`, `%u`, and `user` until User is set).
    pub local_user: String,
    /// The home directory (`%d`).
    pub home: String,
    /// The local user id (`%i`).
    pub uid: u32,
    /// The local host name (`%l`; its first label is `%L`).
    pub local_host: String,
    /// The second pass that `Match final` asks for: `final` and `canonical` are true, and
    /// `host` is `final_host`.
    pub final_pass: bool,
    /// The host name resolved by the first pass (HostName expanded), for the final pass.
    pub final_host: String,
    /// The addresses of the local interfaces that are up (`localnetwork`).
    pub local_addresses: Vec<IpAddr>,
}

/// Options read so far that a Match line looks at.
#[derive(Debug, Clone, Copy)]
pub struct SoFar<'a> {
    /// HostName, as written.
    pub host_name: Option<&'a str>,
    /// User.
    pub user: Option<&'a str>,
    /// Port.
    pub port: Option<u16>,
    /// Tag.
    pub tag: Option<&'a str>,
}

/// The result of one Match line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The block applies.
    pub matched: bool,
    /// A non-negated `final` was seen: a second pass is wanted.
    pub wants_final: bool,
    /// Criteria burrow does not evaluate (they did not match).
    pub unsupported: Vec<String>,
}

/// Evaluates the arguments of a `Match` line. `exec` runs a (token-expanded) command and
/// says whether it exited 0; it is called only while every earlier criterion matched.
pub fn evaluate(
    args: &[String],
    ctx: &MatchContext,
    so_far: SoFar<'_>,
    exec: &mut dyn FnMut(&str) -> bool,
) -> Result<Outcome, String> {
    let host = if ctx.final_pass {
        ctx.final_host.clone()
    } else {
        so_far.host_name.map_or_else(
            || ctx.original_host.clone(),
            |h| expand_tokens(h, &[('h', &ctx.original_host)]),
        )
    };
    let ruser = so_far.user.unwrap_or(&ctx.local_user);
    let mut out = Outcome {
        matched: true,
        ..Outcome::default()
    };
    // Attributes other than `canonical` and `final` (which `all` may follow).
    let mut attributes = 0usize;
    let mut seen_pass_criterion = false;
    let mut rest = args.iter().take_while(|a| !a.starts_with('#'));
    while let Some(raw) = rest.next() {
        let (negate, attr) = match raw.strip_prefix('!') {
            Some(a) => (true, a),
            None => (false, raw.as_str()),
        };
        let lower = attr.to_ascii_lowercase();
        if lower == "all" {
            if attributes > 0 || rest.next().is_some() {
                return Err(format!(
                    "'{raw}' cannot be combined with other Match attributes"
                ));
            }
            out.matched &= !negate;
            return Ok(out);
        }
        if lower == "canonical" || lower == "final" {
            out.wants_final |= lower == "final" && !negate;
            if ctx.final_pass == negate {
                out.matched = false;
            }
            seen_pass_criterion = true;
            continue;
        }
        attributes += 1;
        let (name, arg) = match lower.split_once('=') {
            Some((name, _)) => (name.to_owned(), attr.get(name.len() + 1..).unwrap_or("")),
            None => match rest.next() {
                Some(a) => (lower.clone(), a.as_str()),
                None => return Err(format!("missing argument for Match '{raw}'")),
            },
        };
        if arg.is_empty() && name != "tagged" {
            return Err(format!("Missing Match criteria for {name}"));
        }
        let r = match name.as_str() {
            "host" => match_pattern_list(arg, &host.to_ascii_lowercase()),
            "originalhost" => match_pattern_list(arg, &ctx.original_host.to_ascii_lowercase()),
            "user" => match_pattern_list(arg, ruser),
            "localuser" => match_pattern_list(arg, &ctx.local_user),
            "version" => match_pattern_list(arg, VERSION),
            // An address of an interface that is up lies in one of the CIDR blocks.
            "localnetwork" => ctx.local_addresses.iter().any(|&a| from_allows(arg, a)),
            "tagged" => match so_far.tag.unwrap_or("") {
                "" => arg.is_empty(),
                tag => match_pattern_list(arg, tag),
            },
            "exec" => {
                if !out.matched {
                    continue;
                }
                let port_number = so_far.port.unwrap_or(22);
                let port = port_number.to_string();
                let uid = ctx.uid.to_string();
                let short = ctx.local_host.split('.').next().unwrap_or_default();
                // As in ssh 9.2, the hash here leaves out the ProxyJump host.
                let hash = connection_hash(&ctx.local_host, &host, port_number, ruser, "");
                let cmd = expand_tokens(
                    arg,
                    &[
                        ('h', host.as_str()),
                        ('n', ctx.original_host.as_str()),
                        ('p', port.as_str()),
                        ('r', ruser),
                        ('u', ctx.local_user.as_str()),
                        ('d', ctx.home.as_str()),
                        ('i', uid.as_str()),
                        ('l', ctx.local_host.as_str()),
                        ('L', short),
                        ('C', hash.as_str()),
                    ],
                );
                exec(&cmd)
            }
            n if UNSUPPORTED.contains(&n) => {
                out.unsupported.push(n.to_owned());
                false
            }
            n => return Err(format!("Unsupported Match attribute {n}")),
        };
        if r == negate {
            out.matched = false;
        }
    }
    if attributes == 0 && !seen_pass_criterion {
        return Err("missing Match criteria".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(final_pass: bool) -> MatchContext {
        MatchContext {
            original_host: "web".to_owned(),
            local_user: "me".to_owned(),
            home: "/home/me".to_owned(),
            uid: 1000,
            local_host: "laptop.home.example".to_owned(),
            final_pass,
            final_host: "web.example.com".to_owned(),
            local_addresses: vec!["192.168.7.20".parse().unwrap(), "::1".parse().unwrap()],
        }
    }

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    fn eval(line: &str, c: &MatchContext, so_far: SoFar<'_>) -> Result<Outcome, String> {
        evaluate(&args(line), c, so_far, &mut |cmd: &str| {
            cmd == "test web.example.com"
        })
    }

    const NOTHING: SoFar<'static> = SoFar {
        host_name: None,
        user: None,
        port: None,
        tag: None,
    };

    #[test]
    fn host_uses_hostname_and_originalhost_the_typed_name() {
        let named = SoFar {
            host_name: Some("%h.example.com"),
            ..NOTHING
        };
        assert!(
            eval("host *.example.com", &ctx(false), named)
                .unwrap()
                .matched
        );
        assert!(
            !eval("host *.example.com", &ctx(false), NOTHING)
                .unwrap()
                .matched
        );
        assert!(
            eval("originalhost web", &ctx(false), named)
                .unwrap()
                .matched
        );
        assert!(eval("host=web,!db", &ctx(false), NOTHING).unwrap().matched);
        assert!(
            !eval("!originalhost web", &ctx(false), NOTHING)
                .unwrap()
                .matched
        );
    }

    #[test]
    fn users_all_exec_and_errors() {
        let bob = SoFar {
            user: Some("bob"),
            ..NOTHING
        };
        assert!(
            eval("user me localuser me", &ctx(false), NOTHING)
                .unwrap()
                .matched
        );
        assert!(!eval("user me", &ctx(false), bob).unwrap().matched);
        assert!(eval("all", &ctx(false), NOTHING).unwrap().matched);
        assert!(eval("host web all", &ctx(false), NOTHING).is_err());
        assert!(eval("bogus x", &ctx(false), NOTHING).is_err());
        assert!(eval("host", &ctx(false), NOTHING).is_err());
        let named = SoFar {
            host_name: Some("%h.example.com"),
            ..NOTHING
        };
        let exec = vec!["exec".to_owned(), "test %h".to_owned()];
        let run = |c: &MatchContext, s| {
            evaluate(&exec, c, s, &mut |cmd: &str| cmd == "test web.example.com")
        };
        assert!(run(&ctx(false), named).unwrap().matched);
        assert!(!run(&ctx(false), NOTHING).unwrap().matched);
        let local = vec!["exec".to_owned(), "%i %l %L %u %d".to_owned()];
        let got = evaluate(&local, &ctx(false), NOTHING, &mut |cmd: &str| {
            cmd == "1000 laptop.home.example laptop me /home/me"
        });
        assert!(got.unwrap().matched);
        let unsupported = eval("command x", &ctx(false), NOTHING).unwrap();
        assert!(!unsupported.matched && unsupported.unsupported == ["command"]);
    }

    #[test]
    fn localnetwork_matches_an_interface_address_in_a_block() {
        let on = |line: &str| eval(line, &ctx(false), NOTHING).unwrap().matched;
        assert!(on("localnetwork 192.168.0.0/16"));
        assert!(on("localnetwork 10.0.0.0/8,::1/128"));
        assert!(!on("localnetwork 10.0.0.0/8"));
        assert!(on("!localnetwork 10.0.0.0/8"));
        // An inconsistent block (host bits set) matches nothing, as ssh's error does.
        assert!(!on("localnetwork 192.168.7.20/16"));
    }

    #[test]
    fn final_matches_only_in_the_second_pass_and_asks_for_it() {
        let first = eval("final host web.example.com", &ctx(false), NOTHING).unwrap();
        assert!(!first.matched && first.wants_final);
        let second = eval("final host web.example.com", &ctx(true), NOTHING).unwrap();
        assert!(second.matched);
        assert!(eval("!final", &ctx(false), NOTHING).unwrap().matched);
        assert!(!eval("!final", &ctx(false), NOTHING).unwrap().wants_final);
        assert!(eval("canonical", &ctx(true), NOTHING).unwrap().matched);
        // `all` may follow `canonical` or `final` (ssh_config(5)), nothing else.
        assert!(eval("canonical all", &ctx(true), NOTHING).unwrap().matched);
        assert!(!eval("final all", &ctx(false), NOTHING).unwrap().matched);
        assert!(eval("final all", &ctx(true), NOTHING).unwrap().matched);
        assert!(eval("canonical all host x", &ctx(true), NOTHING).is_err());
    }
}
