//! Every key exchange method end to end through the sans-IO loopback with seeded RNGs: the
//! exchange completes both ways, rekeys, keeps the first H as session id (its length is the
//! method's hash), and the same seed gives the same bytes on the wire.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use burrow_transport::KexAlg;
use burrow_transport::{AlgorithmKind, TransportConfig, TransportError};
use support::Pair;

/// Runs one seeded exchange and a client rekey with the client pinned to `alg` (the server
/// offers everything it offers by default, plus `alg`); returns all bytes sent both ways.
fn run(alg: KexAlg, seed: u64) -> Vec<u8> {
    let mut client = TransportConfig::default();
    client.set_kex_algorithms(alg.name()).unwrap();
    let server = client.clone();
    let mut pair = Pair::new(client, server, seed);
    let mut wire = Vec::new();
    for _ in 0..10_000 {
        let _ = pair.client.poll_transmit(&mut pair.to_server);
        let _ = pair.server.poll_transmit(&mut pair.to_client);
        wire.extend_from_slice(&pair.to_server);
        wire.extend_from_slice(&pair.to_client);
        if !pair.step() {
            break;
        }
    }
    assert_eq!(pair.client_seen.kex_done, 1, "{}", alg.name());
    assert_eq!(pair.server_seen.kex_done, 1, "{}", alg.name());
    let id = pair.client.session_id().unwrap().as_bytes().to_vec();
    assert_eq!(id, pair.server.session_id().unwrap().as_bytes());
    let hash_len = alg.hash().digest(&[]).len();
    assert_eq!(id.len(), hash_len, "{}", alg.name());
    pair.client.rekey().unwrap();
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 2, "{}", alg.name());
    assert_eq!(pair.client.session_id().unwrap().as_bytes(), &id[..]);
    assert!(pair.client_seen.disconnected.is_none());
    wire
}

#[test]
fn every_server_method_completes_rekeys_and_is_reproducible() {
    for (i, alg) in KexAlg::ALL
        .into_iter()
        .filter(|a| !a.client_only())
        .enumerate()
    {
        let seed = 100 + i as u64;
        let first = run(alg, seed);
        assert_eq!(first, run(alg, seed), "{} with one seed", alg.name());
        assert_ne!(
            first,
            run(alg, seed + 50),
            "{} with another seed",
            alg.name()
        );
    }
}

#[test]
fn burrow_server_offers_no_dh_group() {
    let mut client = TransportConfig::default();
    client
        .set_kex_algorithms("diffie-hellman-group14-sha256")
        .unwrap();
    let mut pair = Pair::new(client.clone(), client, 7);
    let _ = pair.client.poll_transmit(&mut pair.server_input);
    let err = pair
        .server
        .handle_input(&mut pair.server_input, pair.now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::NoCommonAlgorithm {
                kind: AlgorithmKind::Kex,
                ..
            }
        ),
        "{err}"
    );
    assert!(pair.server.is_closed());
}
