//! End to end: `MetricsListen` pages scraped over HTTP and parsed (OpenMetrics text). The
//! client against burrowd and against sshd: byte counters equal the bytes the test sent
//! through each forward, channel counts exact, a refused target counted as open failures,
//! rekeys and keepalive round trips seen. burrowd as root with two users: the same per user
//! and forward, kept after the connections end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod privsep;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use privsep::{User, can_run, start_daemon};

/// One HTTP/1.1 request to 127.0.0.1:`port`: the status line and the body.
fn http_get(port: u16, path: &str) -> (String, String) {
    let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut all = String::new();
    c.read_to_string(&mut all).unwrap();
    let (head, body) = all.split_once("\r\n\r\n").unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), len, "{all}");
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// A parsed sample: name and labels.
type Key = (String, BTreeMap<String, String>);

/// Parses an OpenMetrics page (checking its `# EOF` end) into sample → value.
fn parse(page: &str) -> BTreeMap<Key, f64> {
    assert!(page.ends_with("# EOF\n"), "{page}");
    let mut out = BTreeMap::new();
    for line in page.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').unwrap()),
            None => (series, ""),
        };
        let mut map = BTreeMap::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let (k, v) = rest.split_once("=\"").unwrap();
            // Values in these tests hold no escaped quotes.
            let end = v.find('"').unwrap();
            map.insert(k.to_owned(), v[..end].to_owned());
            rest = v[end + 1..].trim_start_matches(',');
        }
        let v = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("{e}: {line}")),
        };
        out.insert((name.to_owned(), map), v);
    }
    out
}

/// The value of `name` with exactly `labels`, if present.
fn get(m: &BTreeMap<Key, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels.iter().map(|(k, v)| (s(k), s(v))).collect();
    m.get(&(s(name), want)).copied()
}

/// Scrapes until `done` holds for the parsed page (or panics after `secs`).
fn scrape_until(
    port: u16,
    secs: u64,
    done: impl Fn(&BTreeMap<Key, f64>) -> bool,
) -> BTreeMap<Key, f64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, body) = http_get(port, "/metrics");
        assert_eq!(status, "HTTP/1.1 200 OK");
        let m = parse(&body);
        if done(&m) {
            return m;
        }
        assert!(Instant::now() < deadline, "{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// Connects to a `-L` whose target refuses: the forward closes the connection at once.
fn refused(port: u16) {
    let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(c.read(&mut buf).unwrap_or(0), 0);
}

/// The client with two `-L` (an echo server, a refused port) and a metrics page, against
/// the server at `port` with `key`; checks every counter after known traffic.
fn client_counts_what_it_forwards(port: u16, key: &std::path::Path, extra: &[&str]) {
    let dir = TempDir::new("metrics-c");
    let echo = echo_server();
    let (lport, rport, mport, remote) = (free_port(), free_port(), free_port(), free_port());
    let good = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let back = format!("127.0.0.1:{remote}:127.0.0.1:{echo}");
    let bad = format!("127.0.0.1:{rport}:127.0.0.1:{}", closed_port());
    let mut a = client_opts(&dir, key, port);
    for o in [
        format!("MetricsListen=127.0.0.1:{mport}"),
        s("ServerAliveInterval=1"),
        s("RekeyLimit=64K"),
    ] {
        a.extend([s("-o"), o]);
    }
    a.extend(extra.iter().map(|e| s(e)));
    a.extend([s("-N"), s("-L"), good.clone(), s("-L"), bad.clone()]);
    a.extend([s("-R"), back.clone(), s("127.0.0.1")]);
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20), "{}", burrow.log());
    assert!(wait_port(rport, 20), "{}", burrow.log());
    let (status, _) = http_get(mport, "/other");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    // wait_port's probes are one connection to each forward.
    let sizes = [1_234usize, 300_001];
    for n in sizes {
        check_echo(
            TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
            &pattern(n),
        );
    }
    for _ in 0..3 {
        refused(rport);
    }
    // -R: the server's listener (wait_port's probe, then a transfer).
    assert!(wait_port(remote, 20), "{}", burrow.log());
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, remote)).unwrap(),
        &pattern(4_321),
    );
    let back_l = format!("-R {back}");
    let (good_l, bad_l) = (format!("-L {good}"), format!("-L {bad}"));
    let g = |k: &'static str| [("forward", good_l.clone()), ("direction", s(k))];
    let m = scrape_until(mport, 20, |m| {
        let open = get(m, "burrow_forward_channels_open", &[("forward", &good_l)]);
        let failed = get(
            m,
            "burrow_forward_open_failures_total",
            &[("forward", &bad_l)],
        );
        let rtt = get(m, "burrow_keepalive_rtt_seconds", &[]);
        let back_open = get(m, "burrow_forward_channels_open", &[("forward", &back_l)]);
        open == Some(0.0) && failed == Some(4.0) && rtt.is_some() && back_open == Some(0.0)
    });
    let total: usize = sizes.iter().sum();
    let labels = |l: &[(&'static str, String)]| -> Vec<(&str, String)> { l.to_vec() };
    let pick = |name: &str, l: &[(&str, String)]| {
        let l: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
        get(&m, name, &l)
    };
    assert_eq!(
        pick("burrow_forward_bytes_total", &labels(&g("out"))),
        Some(total as f64)
    );
    assert_eq!(
        pick("burrow_forward_bytes_total", &labels(&g("in"))),
        Some(total as f64)
    );
    let good_only = [("forward", good_l.clone())];
    let bad_only = [("forward", bad_l.clone())];
    assert_eq!(pick("burrow_forward_channels_total", &good_only), Some(3.0));
    assert_eq!(
        pick("burrow_forward_open_failures_total", &good_only),
        Some(0.0)
    );
    assert_eq!(
        pick("burrow_forward_connect_seconds_count", &good_only),
        Some(3.0)
    );
    assert_eq!(pick("burrow_forward_channels_total", &bad_only), Some(4.0));
    assert_eq!(pick("burrow_forward_channels_open", &bad_only), Some(0.0));
    let bad_bytes = [("forward", bad_l.clone()), ("direction", s("out"))];
    assert_eq!(pick("burrow_forward_bytes_total", &bad_bytes), Some(0.0));
    assert_eq!(get(&m, "burrow_connection_up", &[]), Some(1.0));
    // -R: "out" is what came in from the server side.
    let back_only = [("forward", back_l.clone())];
    let back_out = [("forward", back_l.clone()), ("direction", s("out"))];
    assert_eq!(pick("burrow_forward_bytes_total", &back_out), Some(4_321.0));
    assert_eq!(pick("burrow_forward_channels_total", &back_only), Some(2.0));
    assert_eq!(
        pick("burrow_forward_connect_seconds_count", &back_only),
        Some(2.0)
    );
    assert_eq!(get(&m, "burrow_reconnects_total", &[]), Some(0.0));
    // 600 KB each way through a 64 KB RekeyLimit.
    let rekeys = get(&m, "burrow_rekeys_total", &[]).unwrap();
    assert!(rekeys >= 2.0, "{rekeys} rekeys");
    let rtt = get(&m, "burrow_keepalive_rtt_seconds", &[]).unwrap();
    assert!((0.0..5.0).contains(&rtt), "{rtt}");
    assert!(pick("burrow_forward_window_blocked_seconds_total", &good_only).is_some());
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        burrow.log()
    );
}

#[test]
fn client_metrics_against_burrowd() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    client_counts_what_it_forwards(d.port, &d.client_key, &[]);
}

#[test]
fn client_metrics_against_sshd() {
    let Some(d) = start_sshd() else {
        return;
    };
    client_counts_what_it_forwards(d.port, &d.client_key, &["-l", "root"]);
}

#[test]
fn metrics_listen_in_use_is_an_error_and_shows_in_g() {
    let dir = TempDir::new("metrics-g");
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let a = vec![
        s("-F"),
        s("/dev/null"),
        s("-o"),
        format!("MetricsListen={port}"),
        s("-G"),
        s("example.org"),
    ];
    let out = run(BURROW, &a, &dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("metricslisten 127.0.0.1:{port}\n")),
        "{text}"
    );
    let a = vec![
        s("-F"),
        s("/dev/null"),
        s("-o"),
        format!("MetricsListen=127.0.0.1:{port}"),
        s("-o"),
        s("BatchMode=yes"),
        s("-N"),
        s("127.0.0.1"),
    ];
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "burrow: MetricsListen 127.0.0.1:{port}: cannot listen: Address already in use"
        )),
        "{err}"
    );
    let out = run(
        BURROW,
        &[
            s("-F"),
            s("/dev/null"),
            s("-o"),
            s("MetricsListen=example.org:1"),
            s("-G"),
            s("h"),
        ],
        &dir,
    );
    assert_eq!(
        out.status.code(),
        Some(255),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `burrow -N -L spec` as `user` to `d`; returns once the forward listens.
fn login(d: &privsep::Daemon, user: &User, specs: &[&str], dir: &TempDir, log: &str) -> Proc {
    let mut a = client_opts(dir, &user.key, d.port);
    for spec in specs {
        a.extend([s("-L"), s(spec)]);
    }
    a.extend([s("-N"), s("-l"), user.name.clone(), s("127.0.0.1")]);
    spawn(BURROW, &a, dir, log)
}

#[test]
fn burrowd_metrics_per_user_and_forward() {
    if !can_run() {
        return;
    }
    let mport = free_port();
    let listen = format!("MetricsListen {mport}");
    let d = start_daemon(&[&listen, "ClientAliveInterval 1"], None);
    let (a, b) = (User::new("ma", false), User::new("mb", false));
    let dir = TempDir::new("metrics-d");
    let (echo, closed) = (echo_server(), closed_port());
    let (la, lb, lr) = (free_port(), free_port(), free_port());
    let spec = |l: u16, t: u16| format!("127.0.0.1:{l}:127.0.0.1:{t}");
    let mut ca = login(&d, &a, &[&spec(la, echo)], &dir, "a.log");
    let mut cb = login(&d, &b, &[&spec(lb, echo), &spec(lr, closed)], &dir, "b.log");
    for (p, c) in [(la, &ca), (lb, &cb), (lr, &cb)] {
        assert!(wait_port(p, 20), "{}\n{}", c.log(), d.proc.log());
    }
    // Each forward had one probe connection (wait_port) besides these.
    let (sent_a, sent_b) = ([1_000usize, 200_000], [7_777usize]);
    for n in sent_a {
        check_echo(
            TcpStream::connect((Ipv4Addr::LOCALHOST, la)).unwrap(),
            &pattern(n),
        );
    }
    for n in sent_b {
        check_echo(
            TcpStream::connect((Ipv4Addr::LOCALHOST, lb)).unwrap(),
            &pattern(n),
        );
    }
    for _ in 0..2 {
        refused(lr);
    }
    let target = format!("direct-tcpip 127.0.0.1:{echo}");
    let refused_target = format!("direct-tcpip 127.0.0.1:{closed}");
    let (ua, ub) = (a.name.as_str(), b.name.as_str());
    let bytes = |m: &BTreeMap<Key, f64>, user: &str, dir: &str| {
        let l = [
            ("user", user),
            ("forward", target.as_str()),
            ("direction", dir),
        ];
        get(m, "burrow_forward_bytes_total", &l)
    };
    let total_a = sent_a.iter().sum::<usize>() as f64;
    let total_b = sent_b.iter().sum::<usize>() as f64;
    let failures = |m: &BTreeMap<Key, f64>| {
        let l = [("user", ub), ("forward", refused_target.as_str())];
        get(m, "burrow_forward_open_failures_total", &l)
    };
    let m = scrape_until(mport, 20, |m| {
        let rtt = get(m, "burrow_keepalive_rtt_seconds", &[("user", ua)]);
        bytes(m, ua, "in") == Some(total_a)
            && bytes(m, ub, "in") == Some(total_b)
            && failures(m) == Some(3.0)
            && rtt.is_some()
    });
    for (user, total) in [(ua, total_a), (ub, total_b)] {
        assert_eq!(bytes(&m, user, "out"), Some(total));
        assert_eq!(
            get(&m, "burrow_connection_up", &[("user", user)]),
            Some(1.0)
        );
    }
    let fwd = |user| [("user", user), ("forward", target.as_str())];
    assert_eq!(
        get(&m, "burrow_forward_channels_total", &fwd(ua)),
        Some(3.0)
    );
    assert_eq!(
        get(&m, "burrow_forward_channels_total", &fwd(ub)),
        Some(2.0)
    );
    assert_eq!(
        get(&m, "burrow_forward_connect_seconds_count", &fwd(ua)),
        Some(3.0)
    );
    let r = [("user", ub), ("forward", refused_target.as_str())];
    assert_eq!(get(&m, "burrow_forward_channels_total", &r), Some(0.0));
    assert_eq!(
        get(&m, "burrow_forward_connect_seconds_count", &r),
        Some(3.0)
    );
    // User a's counters outlive its connection; b's connection stays up.
    ca.signal("TERM");
    assert_eq!(
        ca.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        ca.log()
    );
    let m = scrape_until(mport, 20, |m| {
        get(m, "burrow_connection_up", &[("user", ua)]) == Some(0.0)
    });
    assert_eq!(bytes(&m, ua, "in"), Some(total_a));
    assert_eq!(get(&m, "burrow_forward_channels_open", &fwd(ua)), Some(0.0));
    assert_eq!(get(&m, "burrow_connection_up", &[("user", ub)]), Some(1.0));
    cb.signal("TERM");
    assert_eq!(
        cb.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        cb.log()
    );
}

/// A target that accepts and never reads: the forward's channel window runs out.
fn deaf_server() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    port
}

#[test]
fn time_blocked_on_the_window_shows_while_it_goes_on() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("metrics-w");
    let (lport, mport) = (free_port(), free_port());
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{}", deaf_server());
    let mut a = client_opts(&dir, &d.client_key, d.port);
    a.extend([s("-o"), format!("MetricsListen={mport}")]);
    a.extend([s("-N"), s("-L"), spec.clone(), s("127.0.0.1")]);
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20), "{}", burrow.log());
    let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    std::thread::spawn(move || {
        let chunk = vec![0u8; 1 << 20];
        while c.write_all(&chunk).is_ok() {}
    });
    let label = format!("-L {spec}");
    let l = [("forward", label.as_str())];
    let m = scrape_until(mport, 30, |m| {
        get(m, "burrow_forward_window_blocked_seconds_total", &l).unwrap() >= 1.0
    });
    // Still open: ours, and wait_port's probe (closed here, but the target never closes).
    assert_eq!(get(&m, "burrow_forward_channels_open", &l), Some(2.0));
    let out = [("forward", label.as_str()), ("direction", "out")];
    assert!(get(&m, "burrow_forward_bytes_total", &out).unwrap() > 0.0);
    burrow.signal("KILL");
    burrow.wait_exit(Duration::from_secs(5));
}

#[test]
fn burrowd_run_by_a_user_serves_its_own_metrics() {
    if !can_run() {
        return;
    }
    let Some(setpriv) = require_binary("setpriv") else {
        return;
    };
    let u = User::new("mu", false);
    let dir = TempDir::new("metrics-u");
    let out = run(BURROWD, &[s("--generate-host-key"), dir.s("host")], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (port, mport, echo) = (free_port(), free_port(), echo_server());
    let config = format!(
        "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nPidFile none\nMetricsListen 127.0.0.1:{mport}\n",
        dir.s("host")
    );
    std::fs::write(dir.join("burrowd_config"), config).unwrap();
    for f in ["", "host", "host.pub", "burrowd_config"] {
        std::os::unix::fs::chown(dir.join(f), Some(u.uid), Some(u.gid)).unwrap();
    }
    let args = [
        format!("--reuid={}", u.uid),
        format!("--regid={}", u.gid),
        s("--init-groups"),
        s(BURROWD),
        s("-D"),
        s("-e"),
        s("-f"),
        dir.s("burrowd_config"),
    ];
    let d = spawn(setpriv.to_str().unwrap(), &args, &dir, "burrowd.log");
    assert!(wait_banner(port), "{}", d.log());
    let cdir = TempDir::new("metrics-uc");
    let lport = free_port();
    let mut a = client_opts(&cdir, &u.key, port);
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    a.extend([
        s("-N"),
        s("-L"),
        spec,
        s("-l"),
        u.name.clone(),
        s("127.0.0.1"),
    ]);
    let mut c = spawn(BURROW, &a, &cdir, "burrow.log");
    assert!(wait_port(lport, 20), "{}\n{}", c.log(), d.log());
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(54_321),
    );
    let forward = format!("direct-tcpip 127.0.0.1:{echo}");
    let l = [
        ("user", u.name.as_str()),
        ("forward", &forward),
        ("direction", "in"),
    ];
    let m = scrape_until(mport, 20, |m| {
        get(m, "burrow_forward_bytes_total", &l) == Some(54_321.0)
    });
    let up = get(&m, "burrow_connection_up", &[("user", u.name.as_str())]);
    assert_eq!(up, Some(1.0));
    let l = [("user", u.name.as_str()), ("forward", &forward)];
    assert_eq!(get(&m, "burrow_forward_channels_total", &l), Some(2.0));
    c.signal("TERM");
    assert_eq!(c.wait_exit(Duration::from_secs(15)), Some(0), "{}", c.log());
}

/// SIGKILLs `proc` and every process it started (burrowd's connection processes).
fn kill_tree(proc: &mut Proc) {
    let tree = burrow_testkit::proc::descendants(proc.child.id());
    proc.child.kill().unwrap();
    proc.child.wait().unwrap();
    for pid in tree {
        burrow_testkit::proc::signal_pid(pid, "KILL");
    }
}

#[test]
fn counters_keep_counting_across_a_reconnect() {
    let Some(mut d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("metrics-r");
    let echo = echo_server();
    let (lport, rport, mport) = (free_port(), free_port(), free_port());
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let rspec = format!("127.0.0.1:{rport}:127.0.0.1:{echo}");
    let mut a = client_opts(&dir, &d.client_key, d.port);
    for o in [
        format!("MetricsListen={mport}"),
        s("Reconnect=yes"),
        s("ReconnectMaxDelay=2"),
    ] {
        a.extend([s("-o"), o]);
    }
    a.extend([
        s("-N"),
        s("-L"),
        lspec.clone(),
        s("-R"),
        rspec.clone(),
        s("127.0.0.1"),
    ]);
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    // Each wait_port is one (empty) connection through the forward.
    for p in [lport, rport] {
        assert!(wait_port(p, 20), "{}\n{}", burrow.log(), d.proc.log());
    }
    let echo_via = |p: u16, n: usize| {
        check_echo(
            TcpStream::connect((Ipv4Addr::LOCALHOST, p)).unwrap(),
            &pattern(n),
        );
    };
    echo_via(lport, 1_000);
    echo_via(rport, 2_000);
    kill_tree(&mut d.proc);
    scrape_until(mport, 20, |m| {
        get(m, "burrow_connection_up", &[]) == Some(0.0)
    });
    let args = [s("-D"), s("-e"), s("-f"), d.dir.s("burrowd_config")];
    let deadline = Instant::now() + Duration::from_secs(20);
    d.proc = loop {
        let p = spawn(BURROWD, &args, &d.dir, "burrowd-again.log");
        if wait_banner(d.port) {
            break p;
        }
        drop(p);
        assert!(Instant::now() < deadline, "burrowd did not restart");
    };
    scrape_until(mport, 30, |m| {
        get(m, "burrow_reconnects_total", &[]) == Some(1.0)
            && get(m, "burrow_connection_up", &[]) == Some(1.0)
    });
    assert!(wait_port(rport, 20), "{}", burrow.log());
    echo_via(rport, 3_000);
    echo_via(lport, 4_000);
    let (ll, rl) = (format!("-L {lspec}"), format!("-R {rspec}"));
    let out = |f: &str| [("forward", f.to_owned()), ("direction", s("out"))];
    let m = scrape_until(mport, 20, |m| {
        let open = |f: &str| get(m, "burrow_forward_channels_open", &[("forward", f)]);
        open(&ll) == Some(0.0) && open(&rl) == Some(0.0)
    });
    let pick = |name: &str, l: &[(&str, String)]| {
        let l: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
        get(&m, name, &l)
    };
    // The -R forward was set up again: the new counters add to the old.
    assert_eq!(pick("burrow_forward_bytes_total", &out(&ll)), Some(5_000.0));
    assert_eq!(pick("burrow_forward_bytes_total", &out(&rl)), Some(5_000.0));
    let total = |f: &str| get(&m, "burrow_forward_channels_total", &[("forward", f)]);
    assert_eq!((total(&ll), total(&rl)), (Some(3.0), Some(4.0)));
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        burrow.log()
    );
}
