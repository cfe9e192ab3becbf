//! `-G`: the effective configuration as `ssh -G` prints it, one lowercase `keyword value`
//! per line, in ssh's order, for every keyword burrow implements.

use core::fmt::Write;

use burrow_forward::policy::PermitList;
use burrow_forward::spec::{Connect, ForwardSpec, Listen};

use crate::config::client::ClientSettings;
use crate::config::ssh_config::StrictHostKeyChecking;

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

fn listen(l: &Listen) -> String {
    match l {
        Listen::Tcp { bind: None, port } => port.to_string(),
        Listen::Tcp {
            bind: Some(b),
            port,
        } => format!("[{b}]:{port}"),
        Listen::Unix(path) => path.clone(),
    }
}

fn connect(c: &Connect) -> String {
    match c {
        Connect::Tcp { host, port } => format!("[{host}]:{port}"),
        Connect::Unix(path) => path.clone(),
    }
}

/// A PermitRemoteOpen list as ssh prints it: `any`, `none`, or the `host:port` words.
fn permit_list(p: &PermitList) -> String {
    match p {
        PermitList::Any => "any".to_owned(),
        PermitList::None => "none".to_owned(),
        PermitList::Entries(entries) => entries
            .iter()
            .map(|e| {
                let port = e.port.map_or_else(|| "*".to_owned(), |p| p.to_string());
                if e.host.contains(':') {
                    format!("[{}]:{port}", e.host)
                } else {
                    format!("{}:{port}", e.host)
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The `-G` text for `s`.
pub fn dump(s: &ClientSettings) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        let _infallible = writeln!(out, "{k} {v}");
    };
    let t = &s.transport;
    line("host", &s.alias);
    line("user", &s.user);
    line("hostname", &s.host_name);
    line("port", &s.port.to_string());
    line("addressfamily", s.address_family.name());
    line("batchmode", yes_no(s.batch_mode));
    line("clearallforwardings", yes_no(s.clear_all_forwardings));
    line("exitonforwardfailure", yes_no(s.exit_on_forward_failure));
    let metrics = s.metrics_listen.map(|a| a.to_string());
    line("metricslisten", metrics.as_deref().unwrap_or("none"));
    line("gatewayports", yes_no(s.gateway_ports));
    line("hashknownhosts", yes_no(s.hash_known_hosts));
    line("identitiesonly", yes_no(s.identities_only));
    line(
        "kbdinteractiveauthentication",
        yes_no(s.kbd_interactive_authentication),
    );
    line("passwordauthentication", yes_no(s.password_authentication));
    let pubkey = if s.as_written.pubkey_authentication {
        "true"
    } else {
        "false"
    };
    line("pubkeyauthentication", pubkey);
    let session = if s.session_none { "none" } else { "default" };
    line("sessiontype", session);
    line("stdinnull", yes_no(s.stdin_null));
    line(
        "forkafterauthentication",
        yes_no(s.fork_after_authentication),
    );
    line(
        "stricthostkeychecking",
        match s.strict_host_key_checking {
            StrictHostKeyChecking::Yes => "true",
            StrictHostKeyChecking::No => "false",
            StrictHostKeyChecking::AcceptNew => "accept-new",
            StrictHostKeyChecking::Ask => "ask",
        },
    );
    line("tcpkeepalive", yes_no(s.tcp_keep_alive));
    line("controlmaster", s.control_master.name());
    if let Some(p) = &s.control_path {
        line("controlpath", p);
    }
    line("controlpersist", &s.control_persist.name());
    let c = &s.canonical;
    line("canonicalizefallbacklocal", yes_no(c.fallback_local));
    line("canonicalizehostname", c.mode.name());
    line("canonicalizemaxdots", &c.max_dots.to_string());
    let domains = if c.domains.is_empty() {
        "none".to_owned()
    } else {
        c.domains.join(" ")
    };
    line("canonicaldomains", &domains);
    // OpenSSH 9.2 prints this keyword with these capitals.
    line(
        "canonicalizePermittedcnames",
        c.permitted_cnames.as_deref().unwrap_or("none"),
    );
    line("proxyusefdpass", yes_no(s.proxy_use_fdpass));
    line("serveralivecountmax", &s.server_alive_count_max.to_string());
    let alive = s.server_alive_interval.map_or(0, |d| d.as_secs());
    line("serveraliveinterval", &alive.to_string());
    if let Some(b) = &s.bind_address {
        line("bindaddress", &b.to_string());
    }
    if let Some(i) = &s.bind_interface {
        line("bindinterface", i);
    }
    let names = |v: Vec<&str>| v.join(",");
    line(
        "ciphers",
        &names(t.ciphers.iter().map(|a| a.name()).collect()),
    );
    if let Some(a) = &s.host_key_alias {
        line("hostkeyalias", a);
    }
    line(
        "kexalgorithms",
        &names(t.kex_algorithms.iter().map(|a| a.name()).collect()),
    );
    line("loglevel", s.log_level.name());
    line("macs", &names(t.macs.iter().map(|a| a.name()).collect()));
    if let Some(p) = &s.as_written.preferred_authentications {
        line("preferredauthentications", p);
    }
    for f in &s.forwards {
        if let ForwardSpec::Dynamic(l) = f {
            line("dynamicforward", &listen(l));
        }
    }
    for f in &s.forwards {
        if let ForwardSpec::Local(f) = f {
            line(
                "localforward",
                &format!("{} {}", listen(&f.listen), connect(&f.connect)),
            );
        }
    }
    for f in &s.forwards {
        match f {
            ForwardSpec::Remote(f) => {
                let v = format!("{} {}", listen(&f.listen), connect(&f.connect));
                line("remoteforward", &v);
            }
            // ssh shows a remote SOCKS forward with its internal target.
            ForwardSpec::RemoteDynamic(l) => {
                line("remoteforward", &format!("{} [socks]:0", listen(l)));
            }
            _ => {}
        }
    }
    let ids: Vec<String> = if s.as_written.identity_files.is_empty() {
        vec!["~/.ssh/id_ed25519".to_owned()]
    } else {
        s.as_written.identity_files.clone()
    };
    for id in &ids {
        line("identityfile", id);
    }
    if !s.global_known_hosts_files.is_empty() {
        line(
            "globalknownhostsfile",
            &s.global_known_hosts_files.join(" "),
        );
    }
    if !s.known_hosts_files.is_empty() {
        line("userknownhostsfile", &s.known_hosts_files.join(" "));
    }
    let timeout = s
        .connect_timeout
        .map_or_else(|| "none".to_owned(), |d| d.as_secs().to_string());
    line("connecttimeout", &timeout);
    let r = &t.rekey_limit;
    let rekey = format!(
        "{} {}",
        r.bytes.unwrap_or(0),
        r.time.map_or(0, |d| d.as_secs())
    );
    line("rekeylimit", &rekey);
    line("connectionattempts", &s.connection_attempts.to_string());
    line("requiredrsasize", &s.required_rsa_size.to_string());
    line(
        "hostkeyalgorithms",
        &names(t.host_key_algorithms.iter().map(|a| a.name()).collect()),
    );
    line(
        "pubkeyacceptedalgorithms",
        &names(s.pubkey_algorithms.iter().map(|a| a.name()).collect()),
    );
    line(
        "casignaturealgorithms",
        &names(s.ca_algorithms.iter().map(|a| a.name()).collect()),
    );
    let w = &s.as_written;
    for f in &w.certificate_files {
        line("certificatefile", f);
    }
    for (k, v) in [
        ("identityagent", &w.identity_agent),
        ("ignoreunknown", &w.ignore_unknown),
        ("revokedhostkeys", &w.revoked_host_keys),
        ("tag", &w.tag),
    ] {
        if let Some(v) = v {
            line(k, v);
        }
    }
    line("permitremoteopen", &permit_list(&s.permit_remote_open));
    if let Some(j) = &s.as_written.proxy_jump {
        line("proxyjump", j);
    }
    if let Some(c) = &s.as_written.proxy_command {
        line("proxycommand", c);
    }
    out
}
