//! `burrow -G host` against `ssh -G host` on a corpus of realistic ssh_config files
//! (tests/ssh_config_corpus): every keyword burrow implements must resolve the same way.
//! Algorithm lists are compared as OpenSSH's effective list limited to what burrow
//! implements (`burrow -Q`), in the same order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;

/// The keywords compared (those burrow implements).
const KEYWORDS: &[&str] = &[
    "user",
    "hostname",
    "port",
    "addressfamily",
    "batchmode",
    "exitonforwardfailure",
    "gatewayports",
    "hashknownhosts",
    "identitiesonly",
    "kbdinteractiveauthentication",
    "passwordauthentication",
    "pubkeyauthentication",
    "stricthostkeychecking",
    "tcpkeepalive",
    "serveralivecountmax",
    "serveraliveinterval",
    "bindaddress",
    "ciphers",
    "hostkeyalias",
    "kexalgorithms",
    "loglevel",
    "macs",
    "preferredauthentications",
    "dynamicforward",
    "localforward",
    "remoteforward",
    "identityfile",
    "globalknownhostsfile",
    "userknownhostsfile",
    "connecttimeout",
    "rekeylimit",
    "proxyjump",
    "proxycommand",
    "clearallforwardings",
    "sessiontype",
    "stdinnull",
    "forkafterauthentication",
    "permitremoteopen",
    "connectionattempts",
    "hostkeyalgorithms",
    "pubkeyacceptedalgorithms",
    "identityagent",
    "ignoreunknown",
    "revokedhostkeys",
    "bindinterface",
    "proxyusefdpass",
    "canonicalizefallbacklocal",
    "canonicalizehostname",
    "canonicalizemaxdots",
    "canonicaldomains",
    "canonicalizePermittedcnames",
    "requiredrsasize",
    "casignaturealgorithms",
    "certificatefile",
];

/// Each corpus file and the host names to resolve with it.
const CORPUS: &[(&str, &[&str])] = &[
    ("debian_default.conf", &["build", "other.example.org"]),
    ("fedora_crypto_policy.conf", &["legacy-switch", "web1"]),
    ("macos_user.conf", &["laptop-peer"]),
    ("canonical.conf", &["alias", "proxied", "short", "a.b"]),
    (
        "match_blocks.conf",
        &["gw", "app-1", "app-2", "app-3", "elsewhere"],
    ),
    (
        "developer.conf",
        &[
            "bastion",
            "db-1",
            "db-legacy",
            "legacy-bastion",
            "tunnel",
            "ci",
            "ci-mux",
            "random",
        ],
    ),
];

type Config = BTreeMap<String, Vec<String>>;

fn dump(program: &str, config: &Path, host: &str, home: &str) -> Config {
    let out = Command::new(program)
        .args(["-G", "-F"])
        .arg(config)
        .arg(host)
        .env("HOME", home)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} -G {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map = Config::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if let Some((k, v)) = line.split_once(' ') {
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
    }
    map
}

fn supported(query: &str) -> Vec<String> {
    let out = Command::new(BURROW).args(["-Q", query]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `list` (comma-separated) limited to `known`, in its order.
fn limited(list: &str, known: &[String]) -> String {
    list.split(',')
        .filter(|n| known.iter().any(|k| k == n))
        .collect::<Vec<_>>()
        .join(",")
}

/// The home directory ssh uses (the passwd entry of this uid), so both expand `~` alike.
fn passwd_home() -> String {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").unwrap().uid().to_string();
    std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 5 && f[2] == uid)
        .map(|f| f[5].to_owned())
        .unwrap()
}

#[test]
fn burrow_g_agrees_with_ssh_g_on_the_corpus() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let ssh = ssh.display().to_string();
    let home = passwd_home();
    let dir = TempDir::new("g-corpus");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ssh_config_corpus");
    let defaults = dump(&ssh, Path::new("/dev/null"), "x", &home);
    let known: BTreeMap<&str, Vec<String>> = [
        ("ciphers", supported("cipher")),
        ("macs", supported("mac")),
        ("kexalgorithms", supported("kex")),
        // burrow does not take security-key host keys (no server can hold one).
        (
            "hostkeyalgorithms",
            supported("sig")
                .into_iter()
                .filter(|n| !n.starts_with("sk-"))
                .collect(),
        ),
        ("pubkeyacceptedalgorithms", supported("sig")),
        ("casignaturealgorithms", supported("sig")),
    ]
    .into_iter()
    .collect();
    let mut compared = 0;
    let mut differences = Vec::new();
    for (name, hosts) in CORPUS {
        // Include paths made absolute: relative ones would be looked up in ~/.ssh.
        let text = std::fs::read_to_string(corpus.join(name)).unwrap().replace(
            "Include include/",
            &format!("Include {}/include/", corpus.display()),
        );
        let config = dir.join(name);
        std::fs::write(&config, text).unwrap();
        for host in *hosts {
            let theirs = dump(&ssh, &config, host, &home);
            let ours = dump(BURROW, &config, host, &home);
            for &k in KEYWORDS {
                let mut want = theirs.get(k).cloned().unwrap_or_default();
                let got = ours.get(k).cloned().unwrap_or_default();
                if let Some(names) = known.get(k) {
                    // Unchanged by the configuration as far as burrow's algorithms go.
                    let default = limited(&defaults[k][0], names);
                    want = vec![limited(&want[0], names)];
                    if want[0] == default {
                        continue;
                    }
                }
                // ssh's own defaults differ by design: its identity files for key types
                // burrow does not load, and a cipher-dependent rekey limit.
                if (k == "identityfile" || k == "rekeylimit") && theirs.get(k) == defaults.get(k) {
                    continue;
                }
                compared += 1;
                if want != got {
                    differences.push(format!("{name} {host} {k}: ssh {want:?}, burrow {got:?}"));
                }
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {compared} differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert!(compared > 300, "only {compared} values compared");
    eprintln!("{compared} values compared with ssh -G, none differ");
}

#[test]
fn query_lists_what_burrow_implements() {
    assert!(supported("cipher").contains(&"aes256-gcm@openssh.com".to_owned()));
    assert_eq!(
        supported("key"),
        [
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
            "sk-ssh-ed25519@openssh.com",
            "sk-ecdsa-sha2-nistp256@openssh.com",
            "ssh-rsa",
        ]
    );
    assert_eq!(
        supported("key-cert"),
        [
            "ssh-ed25519-cert-v01@openssh.com",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "ecdsa-sha2-nistp384-cert-v01@openssh.com",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com",
            "sk-ssh-ed25519-cert-v01@openssh.com",
            "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "ssh-rsa-cert-v01@openssh.com",
        ]
    );
    assert_eq!(supported("compression"), ["none"]);
    let key_sig = supported("key-sig");
    assert!(
        key_sig.contains(&"ssh-rsa".to_owned()) && key_sig.contains(&"rsa-sha2-512".to_owned())
    );
    assert_eq!(key_sig.iter().filter(|n| *n == "ssh-ed25519").count(), 1);
    // Every query -Q help names is answered.
    for q in supported("help") {
        let out = Command::new(BURROW).args(["-Q", &q]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "-Q {q}");
    }
    let out = Command::new(BURROW)
        .args(["-Q", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unsupported query \"nonsense\""));
}

#[test]
fn canonicalize_without_fallback_is_ssh_error() {
    let dir = TempDir::new("g-canon");
    let config = dir.join("config");
    std::fs::write(
        &config,
        "CanonicalizeHostname yes\nCanonicalDomains nothing.invalid\n\
         CanonicalizeFallbackLocal no\n",
    )
    .unwrap();
    let out = Command::new(BURROW)
        .args(["-G", "-F"])
        .arg(&config)
        .arg("nohost")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "burrow: Could not resolve host \"nohost\"\n"
    );
}

#[test]
fn match_localnetwork_sees_the_interfaces_that_are_up() {
    let dir = TempDir::new("g-localnet");
    let config = dir.join("config");
    // The loopback interface is up on every machine; 198.51.100.0/24 is documentation space.
    std::fs::write(
        &config,
        "Match localnetwork 198.51.100.0/24\n  Port 1111\n\
         Match localnetwork 127.0.0.0/8,::1/128\n  Port 2222\n",
    )
    .unwrap();
    let out = Command::new(BURROW)
        .args(["-G", "-F"])
        .arg(&config)
        .arg("x")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l == "port 2222"), "{text}");
}
