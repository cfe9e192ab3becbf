//! Tests for algorithm negotiation.

use super::*;

fn kexinit(side: Side, cfg: &TransportConfig) -> KexInit<'static> {
    our_kexinit(side, cfg, [7; 16], false).unwrap()
}

fn names(list: &str) -> NameList<'static> {
    NameList::parse(list.as_bytes(), "test")
        .unwrap()
        .into_owned()
}

#[test]
fn first_client_algorithm_the_server_has_wins() {
    let mut client = TransportConfig::default();
    client
        .set_ciphers("aes256-ctr,aes128-gcm@openssh.com")
        .unwrap();
    let mut server = TransportConfig::default();
    server
        .set_ciphers("aes128-gcm@openssh.com,aes256-ctr")
        .unwrap();
    let c = kexinit(Side::Client, &client);
    let s = kexinit(Side::Server, &server);
    let n = negotiate(Side::Client, &c, &s).unwrap();
    assert_eq!(n.cipher_client_to_server, CipherAlg::Aes256Ctr);
    assert_eq!(n.mac_client_to_server, Some(MacAlg::HmacSha256Etm));
    // The server computes the same answer from its side.
    assert_eq!(negotiate(Side::Server, &s, &c).unwrap(), n);
}

#[test]
fn aead_cipher_needs_no_mac_even_without_common_mac() {
    let mut client = TransportConfig::default();
    client.set_ciphers("aes128-gcm@openssh.com").unwrap();
    client.set_macs("hmac-sha2-512").unwrap();
    let mut server = TransportConfig::default();
    server.set_macs("hmac-sha2-256").unwrap();
    let n = negotiate(
        Side::Client,
        &kexinit(Side::Client, &client),
        &kexinit(Side::Server, &server),
    )
    .unwrap();
    assert_eq!(n.cipher_client_to_server, CipherAlg::Aes128Gcm);
    assert_eq!(n.mac_client_to_server, None);
    assert_eq!(n.mac_server_to_client, None);
}

#[test]
fn no_common_cipher_names_kind_and_both_lists() {
    let mut client = TransportConfig::default();
    client.set_ciphers("aes128-ctr").unwrap();
    let mut server = TransportConfig::default();
    server.set_ciphers("aes256-ctr").unwrap();
    let err = negotiate(
        Side::Server,
        &kexinit(Side::Server, &server),
        &kexinit(Side::Client, &client),
    )
    .unwrap_err();
    match err {
        TransportError::NoCommonAlgorithm { kind, ours, theirs } => {
            assert_eq!(kind, AlgorithmKind::EncryptionClientToServer);
            assert_eq!(ours, "aes256-ctr");
            assert_eq!(theirs, "aes128-ctr");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn pseudo_algorithms_are_never_chosen() {
    let cfg = TransportConfig::default();
    let ours = kexinit(Side::Server, &cfg);
    let mut theirs = kexinit(Side::Client, &cfg);
    // A hostile client lists the pseudo-algorithms first and nothing real we share.
    theirs.kex_algorithms =
        names("kex-strict-s-v00@openssh.com,ext-info-s,diffie-hellman-group1-sha1");
    let err = negotiate(Side::Server, &ours, &theirs).unwrap_err();
    assert!(matches!(
        err,
        TransportError::NoCommonAlgorithm {
            kind: AlgorithmKind::Kex,
            ..
        }
    ));
}

#[test]
fn strict_kex_needs_both_markers_and_ext_info_is_detected() {
    let cfg = TransportConfig::default();
    let c = kexinit(Side::Client, &cfg);
    let s = kexinit(Side::Server, &cfg);
    let n = negotiate(Side::Server, &s, &c).unwrap();
    assert!(n.strict_kex);
    assert!(n.peer_accepts_ext_info);
    assert!(n.guess_right);
    let mut plain = c.clone();
    plain.kex_algorithms = names("curve25519-sha256");
    let n = negotiate(Side::Server, &s, &plain).unwrap();
    assert!(!n.strict_kex);
    assert!(!n.peer_accepts_ext_info);
}

#[test]
fn guess_is_wrong_when_first_kex_names_differ() {
    let mut client = TransportConfig::default();
    client
        .set_kex_algorithms("curve25519-sha256@libssh.org,curve25519-sha256")
        .unwrap();
    let server = TransportConfig::default();
    let n = negotiate(
        Side::Client,
        &kexinit(Side::Client, &client),
        &kexinit(Side::Server, &server),
    )
    .unwrap();
    assert_eq!(n.kex, KexAlg::Curve25519Sha256Libssh);
    assert!(!n.guess_right);
}

#[test]
fn our_kexinit_lists_pseudo_algorithms_after_real_ones() {
    let k = kexinit(Side::Client, &TransportConfig::default());
    assert_eq!(
        k.kex_algorithms.as_str(),
        "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,\
         curve25519-sha256,curve25519-sha256@libssh.org,\
         ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,\
         diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,\
         ext-info-c,kex-strict-c-v00@openssh.com"
    );
    // The server offers the modern methods only.
    let k = kexinit(Side::Server, &TransportConfig::default());
    assert_eq!(
        k.kex_algorithms.as_str(),
        "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,\
         curve25519-sha256,curve25519-sha256@libssh.org,\
         ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,\
         ext-info-s,kex-strict-s-v00@openssh.com"
    );
    assert_eq!(
        k.server_host_key_algorithms.as_str(),
        "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"
    );
    assert_eq!(k.compression_algorithms_client_to_server.as_str(), "none");
}

#[test]
fn host_key_algorithm_follows_the_client_order_among_the_server_keys() {
    let mut client = TransportConfig::default();
    client.prefer_host_key_types(&["ssh-rsa".to_owned()]);
    let c = kexinit(Side::Client, &client);
    let mut s = kexinit(Side::Server, &TransportConfig::default());
    s.server_host_key_algorithms = names("ssh-ed25519,rsa-sha2-512,rsa-sha2-256");
    let n = negotiate(Side::Client, &c, &s).unwrap();
    assert_eq!(n.host_key, SigAlg::RsaSha512);
    s.server_host_key_algorithms = names("ssh-rsa");
    assert!(matches!(
        negotiate(Side::Client, &c, &s),
        Err(TransportError::NoCommonAlgorithm {
            kind: AlgorithmKind::HostKey,
            ..
        })
    ));
}

#[test]
fn host_certificate_names_are_chosen_by_the_client_order() {
    let mut client = TransportConfig::default();
    let mut s = kexinit(Side::Server, &TransportConfig::default());
    s.server_host_key_algorithms = names("ssh-ed25519-cert-v01@openssh.com,ssh-ed25519");
    let n = negotiate(Side::Client, &kexinit(Side::Client, &client), &s).unwrap();
    assert_eq!((n.host_key, n.host_key_cert), (SigAlg::Ed25519, false));
    client.host_certs = HostCerts::First;
    let c = kexinit(Side::Client, &client);
    assert!(
        c.server_host_key_algorithms
            .as_str()
            .starts_with("ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01")
    );
    let n = negotiate(Side::Client, &c, &s).unwrap();
    assert_eq!((n.host_key, n.host_key_cert), (SigAlg::Ed25519, true));
    client.host_certs = HostCerts::Never;
    s.server_host_key_algorithms = names("ssh-ed25519-cert-v01@openssh.com");
    assert!(negotiate(Side::Client, &kexinit(Side::Client, &client), &s).is_err());
}
