//! `burrow`: the SSH port-forwarding client (see `burrow --help`).

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(burrow_cli::client::main(argv));
}
