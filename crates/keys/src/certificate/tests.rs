//! Known-answer tests against certificates made by OpenSSH 9.2's `ssh-keygen -s`, and
//! refusals of altered ones.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;

const USER_ED25519: &str = include_str!("fixtures/user_ed25519-cert.pub");
const USER_RSA: &str = include_str!("fixtures/user_rsa-cert.pub");
const HOST_ECDSA: &str = include_str!("fixtures/host_ecdsa-cert.pub");
const CA_ED25519: &str = include_str!("fixtures/ca_ed25519.pub");
const CA_RSA: &str = include_str!("fixtures/ca_rsa.pub");

/// 2026-01-01T00:00:00Z.
const NOW: u64 = 1_767_225_600;

fn blob(line: &str) -> Vec<u8> {
    let b64 = line.split_whitespace().nth(1).unwrap();
    STANDARD.decode(b64).unwrap()
}

fn parse(line: &str) -> Certificate {
    Certificate::from_blob(&blob(line), &SigAlg::DEFAULT_PUBKEY).unwrap()
}

#[test]
fn an_ed25519_user_certificate_has_the_fields_ssh_keygen_wrote() {
    let c = parse(USER_ED25519);
    assert_eq!(c.cert_key_type, "ssh-ed25519-cert-v01@openssh.com");
    assert_eq!(c.key.key_type(), "ssh-ed25519");
    assert_eq!(
        c.key.fingerprint(),
        "SHA256:mtuv8AxMDFr0vUoU7lxNVpp20WuuDRbbfcshFSc97so"
    );
    assert_eq!(c.serial, 42);
    assert_eq!(c.cert_type, CertType::User);
    assert_eq!(c.key_id, "alice-id");
    assert_eq!(c.principals, ["alice", "bob"]);
    assert_eq!(c.valid_after, 1_577_836_800);
    assert_eq!(c.valid_before, 2_208_988_800);
    assert_eq!(
        c.critical_option("force-command")
            .and_then(CertOption::value),
        Some("/bin/true")
    );
    assert_eq!(
        c.critical_option("source-address")
            .and_then(CertOption::value),
        Some("127.0.0.1/32,::1")
    );
    assert!(c.has_extension("permit-port-forwarding"));
    assert!(!c.has_extension("permit-pty"));
    assert_eq!(c.signature_key.blob(), blob(CA_ED25519));
    assert_eq!(c.signature_alg, SigAlg::Ed25519);
    assert_eq!(c.type_label(), "ED25519-CERT");
    assert_eq!(c.blob(), blob(USER_ED25519));
    assert_eq!(c.check(CertType::User, NOW, |p| p == "bob"), Ok(()));
}

#[test]
fn an_rsa_certificate_signed_with_rsa_sha2_512_verifies() {
    let c = parse(USER_RSA);
    assert_eq!(c.cert_key_type, "ssh-rsa-cert-v01@openssh.com");
    assert_eq!(
        c.key.fingerprint(),
        "SHA256:n/o1zFKX3qON4hfeHe19KxK9olQuPWWAuzEl1A/HFao"
    );
    assert_eq!(c.signature_alg, SigAlg::RsaSha512);
    assert_eq!(c.signature_key.blob(), blob(CA_RSA));
    assert_eq!(c.serial, 0);
    assert!(c.critical_options.is_empty());
    assert_eq!(c.extensions.len(), 5);
    assert_eq!(c.type_label(), "RSA-CERT");
}

#[test]
fn an_ecdsa_host_certificate_lists_its_principals() {
    let c = parse(HOST_ECDSA);
    assert_eq!(c.cert_key_type, "ecdsa-sha2-nistp384-cert-v01@openssh.com");
    assert_eq!(c.key.key_type(), "ecdsa-sha2-nistp384");
    assert_eq!(c.cert_type, CertType::Host);
    assert_eq!(c.principals, ["localhost", "*.example.com"]);
    assert_eq!(c.check(CertType::Host, NOW, |p| p == "localhost"), Ok(()));
    assert_eq!(
        c.check(CertType::Host, NOW, |p| p == "a.example.com"),
        Err(CertRefusal::PrincipalNotListed)
    );
    assert_eq!(
        c.check(CertType::User, NOW, |_| true),
        Err(CertRefusal::WrongType(CertType::User))
    );
}

#[test]
fn validity_window_and_principals_are_checked_as_openssh_does() {
    let c = parse(USER_RSA);
    let check =
        |now, name: &'static str| c.check(CertType::User, now, |p| name.is_empty() || p == name);
    assert_eq!(check(c.valid_after - 1, ""), Err(CertRefusal::NotYetValid));
    assert_eq!(check(c.valid_after, ""), Ok(()));
    assert_eq!(check(c.valid_before - 1, "alice"), Ok(()));
    assert_eq!(check(c.valid_before, ""), Err(CertRefusal::Expired));
    assert_eq!(check(NOW, "mallory"), Err(CertRefusal::PrincipalNotListed));
    let mut none = c.clone();
    none.principals.clear();
    assert_eq!(
        none.check(CertType::User, NOW, |_| true),
        Err(CertRefusal::NoPrincipals)
    );
    assert_eq!(
        CertRefusal::Expired.to_string(),
        "Certificate invalid: expired"
    );
}

#[test]
fn a_ca_algorithm_outside_the_allowed_list_is_refused() {
    let err =
        Certificate::from_blob(&blob(USER_RSA), &[SigAlg::Ed25519, SigAlg::RsaSha256]).unwrap_err();
    assert_eq!(
        err,
        KeyError::Certificate(CertRefusal::CaAlgorithm("rsa-sha2-512".into()))
    );
    assert!(Certificate::from_blob(&blob(USER_ED25519), &[SigAlg::Ed25519]).is_ok());
}

#[test]
fn any_altered_signed_byte_breaks_the_ca_signature() {
    let good = blob(USER_ED25519);
    // The serial's last byte: still well formed, no longer what the CA signed.
    let at = good
        .windows(8)
        .position(|w| w == 42u64.to_be_bytes())
        .unwrap()
        + 7;
    let mut bad = good.clone();
    bad[at] ^= 1;
    assert_eq!(
        Certificate::from_blob(&bad, &SigAlg::ALL).unwrap_err(),
        KeyError::SignatureVerificationFailed
    );
}

#[test]
fn every_truncation_and_trailing_byte_is_an_error_not_a_panic() {
    for line in [USER_ED25519, USER_RSA, HOST_ECDSA] {
        let good = blob(line);
        for n in 0..good.len() {
            assert!(
                Certificate::from_blob(&good[..n], &SigAlg::ALL).is_err(),
                "{n}"
            );
        }
        let mut long = good.clone();
        long.push(0);
        assert!(Certificate::from_blob(&long, &SigAlg::ALL).is_err());
    }
}

#[test]
fn plain_keys_and_signature_names_are_not_certificate_types() {
    let err = Certificate::from_blob(&blob(CA_ED25519), &SigAlg::ALL).unwrap_err();
    assert!(
        matches!(err, KeyError::UnsupportedKeyType { .. }),
        "{err:?}"
    );
    let mut renamed = blob(USER_RSA);
    let (old, new) = (
        b"ssh-rsa-cert-v01@openssh.com".as_slice(),
        b"rsa-sha2-256-cert-v01@openssh.com".as_slice(),
    );
    renamed.splice(0..4 + old.len(), {
        let mut v = u32::try_from(new.len()).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(new);
        v
    });
    let err = Certificate::from_blob(&renamed, &SigAlg::ALL).unwrap_err();
    assert!(
        matches!(err, KeyError::UnsupportedKeyType { .. }),
        "{err:?}"
    );
}

#[test]
fn option_lists_are_bounded_and_names_unique() {
    let pair = |name: &str| {
        let mut v = Vec::new();
        for part in [name.as_bytes(), b""] {
            v.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
            v.extend_from_slice(part);
        }
        v
    };
    let two = [pair("a"), pair("a")].concat();
    assert!(matches!(
        options(&two, "extensions"),
        Err(KeyError::Certificate(CertRefusal::RepeatedOption(_)))
    ));
    let many: Vec<u8> = (0..=MAX_OPTIONS)
        .flat_map(|i| pair(&format!("x{i}")))
        .collect();
    assert_eq!(
        options(&many, "extensions"),
        Err(too_many("extensions", MAX_OPTIONS))
    );
    let ok = [pair("b"), pair("a")].concat();
    assert_eq!(options(&ok, "extensions").unwrap().len(), 2);
}
