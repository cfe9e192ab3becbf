//! `burrowd`: the forwarding-only SSH server (see `burrowd --help`).

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(burrow_cli::daemon::main(argv));
}
