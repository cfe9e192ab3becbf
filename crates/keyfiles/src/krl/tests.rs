//! KRLs made by the real `ssh-keygen -k`, and hostile ones.

use std::path::Path;

use burrow_keys::{Certificate, PublicKey, SigAlg};
use proptest::prelude::*;

use super::*;
use crate::PublicKeyLine;
use crate::testutil::{TempDir, run_keygen, ssh_keygen};

fn key(keygen: &Path, dir: &Path, name: &str) -> (String, PublicKey) {
    let path = dir.join(name).display().to_string();
    run_keygen(
        keygen,
        &["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", &path],
    );
    let line = std::fs::read_to_string(format!("{path}.pub")).unwrap();
    let k = PublicKeyLine::parse(line.trim())
        .unwrap()
        .public_key()
        .unwrap();
    (path, k)
}

/// A host certificate for a new key, signed by `ca` with `id` and `serial`.
fn cert(keygen: &Path, dir: &Path, ca: &str, id: &str, serial: u64) -> Certificate {
    let (path, _) = key(keygen, dir, &format!("k{serial}{id}"));
    let pub_path = format!("{path}.pub");
    let z = serial.to_string();
    run_keygen(
        keygen,
        &[
            "-q", "-s", ca, "-I", id, "-z", &z, "-h", "-n", "h", &pub_path,
        ],
    );
    let text = std::fs::read_to_string(format!("{path}-cert.pub")).unwrap();
    let line = PublicKeyLine::parse(text.trim()).unwrap();
    Certificate::from_blob(line.key.blob(), &SigAlg::ALL).unwrap()
}

fn fingerprint(keygen: &Path, path: &str) -> String {
    let out = run_keygen(
        keygen,
        &["-l", "-E", "sha256", "-f", &format!("{path}.pub")],
    );
    out.split_whitespace().nth(1).unwrap().to_owned()
}

#[test]
fn ssh_keygen_krls_revoke_by_serial_range_bitmap_id_key_and_hash() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("krl");
    let d = dir.path();
    let (ca, ca_key) = key(keygen, d, "ca");
    let (other_ca, _) = key(keygen, d, "other-ca");
    let (explicit, explicit_key) = key(keygen, d, "explicit");
    let (sha1, sha1_key) = key(keygen, d, "sha1");
    let (hashed, hashed_key) = key(keygen, d, "hashed");
    let (_, fine_key) = key(keygen, d, "fine");
    let line = |p: &str| std::fs::read_to_string(format!("{p}.pub")).unwrap();
    // Dense serials 200..=210 (even) are written as a bitmap by ssh-keygen.
    let dense: String = (200..=210)
        .step_by(2)
        .map(|n| format!("serial: {n}\n"))
        .collect();
    let spec = format!(
        "serial: 7\nserial: 10-20\n{dense}id: revoked-id\nkey: {}sha1: {}hash: {}\n",
        line(&explicit),
        line(&sha1),
        fingerprint(keygen, &hashed)
    );
    std::fs::write(d.join("spec"), spec).unwrap();
    let krl_path = d.join("krl").display().to_string();
    let ca_pub = format!("{ca}.pub");
    let spec_path = d.join("spec").display().to_string();
    run_keygen(
        keygen,
        &["-k", "-f", &krl_path, "-s", &ca_pub, "-z", "42", &spec_path],
    );
    let bytes = std::fs::read(&krl_path).unwrap();
    let krl = Krl::parse(&bytes).unwrap();
    assert_eq!(krl.version, 42);
    assert!(krl.certs.iter().any(|c| !c.bitmaps.is_empty()), "{krl:?}");
    for (k, revoked) in [
        (&explicit_key, true),
        (&sha1_key, true),
        (&hashed_key, true),
        (&fine_key, false),
        (&ca_key, false),
    ] {
        assert_eq!(krl.revokes_key(k), revoked, "{}", k.fingerprint());
    }
    for (id, serial, revoked) in [
        ("a", 7, true),
        ("a", 6, false),
        ("a", 10, true),
        ("a", 20, true),
        ("a", 21, false),
        ("a", 204, true),
        ("a", 205, false),
        ("a", 210, true),
        ("a", 212, false),
        ("revoked-id", 1000, true),
        // A zero serial is never revoked by serial.
        ("a", 0, false),
    ] {
        let c = cert(keygen, d, &ca, id, serial);
        assert_eq!(krl.revokes_certificate(&c), revoked, "{id} {serial}");
    }
    // Serials and IDs are per CA.
    let c = cert(keygen, d, &other_ca, "revoked-id", 7);
    assert!(!krl.revokes_certificate(&c));
    // A KRL naming the CA key itself revokes every certificate it signed.
    run_keygen(keygen, &["-k", "-f", &krl_path, &ca_pub]);
    let krl = RevokedKeys::parse(&std::fs::read(&krl_path).unwrap()).unwrap();
    let c = cert(keygen, d, &ca, "x", 99);
    assert!(krl.revokes(&c.key, Some(&c)));
    assert!(!krl.revokes(&fine_key, None));
    // `-u` adds to an existing KRL.
    std::fs::write(d.join("spec2"), "serial: 30\n").unwrap();
    let spec2 = d.join("spec2").display().to_string();
    run_keygen(
        keygen,
        &[
            "-k",
            "-u",
            "-f",
            &krl_path,
            "-s",
            &format!("{other_ca}.pub"),
            &spec2,
        ],
    );
    let krl = Krl::parse(&std::fs::read(&krl_path).unwrap()).unwrap();
    assert!(krl.revokes_certificate(&cert(keygen, d, &other_ca, "o", 30)));
    assert!(
        krl.revokes_certificate(&cert(keygen, d, &ca, "o", 31)),
        "CA still revoked"
    );
}

#[test]
fn plain_key_lists_still_work() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("krl-list");
    let (path, k) = key(keygen, dir.path(), "listed");
    let (_, other) = key(keygen, dir.path(), "other");
    let text = format!(
        "# revoked\n\n{}",
        std::fs::read_to_string(format!("{path}.pub")).unwrap()
    );
    let list = RevokedKeys::parse(text.as_bytes()).unwrap();
    assert!(list.revokes(&k, None));
    assert!(!list.revokes(&other, None));
}

/// A minimal KRL header followed by `sections`.
fn krl_with(sections: &[u8]) -> Vec<u8> {
    let mut v = KRL_MAGIC.to_vec();
    v.extend(1u32.to_be_bytes());
    v.extend([0u8; 24]); // krl_version, generated_date, flags
    v.extend([0u8; 8]); // reserved, comment: empty strings
    v.extend(sections);
    v
}

fn section(kind: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
    v.extend(data);
    v
}

#[test]
fn hostile_krls_are_typed_errors() {
    assert_eq!(Krl::parse(b"SSHKRL\n"), Err(KrlError::BadMagic));
    let mut v2 = krl_with(&[]);
    v2[11] = 2;
    assert_eq!(Krl::parse(&v2), Err(KrlError::UnsupportedVersion(2)));
    assert_eq!(
        Krl::parse(&krl_with(&section(9, &[]))),
        Err(KrlError::UnsupportedSection(9))
    );
    let short_hash = section(5, &[0, 0, 0, 3, 1, 2, 3]);
    assert_eq!(
        Krl::parse(&krl_with(&short_hash)),
        Err(KrlError::BadHashLength { section: 5, len: 3 })
    );
    let mut signed = section(4, &[]);
    signed.extend([0, 0, 0, 0]);
    signed.extend(section(2, &[]));
    assert_eq!(
        Krl::parse(&krl_with(&signed)),
        Err(KrlError::SectionAfterSignature)
    );
    // Range with min > max; bitmap past 2^64; unknown certificate subsection.
    let certs = |sub: &[u8]| {
        let mut body = vec![0u8; 8]; // empty ca_key, empty reserved
        body.extend(sub);
        krl_with(&section(1, &body))
    };
    let mut range = 5u64.to_be_bytes().to_vec();
    range.extend(4u64.to_be_bytes());
    assert_eq!(
        Krl::parse(&certs(&section(0x21, &range))),
        Err(KrlError::BadSerials)
    );
    let mut bitmap = u64::MAX.to_be_bytes().to_vec();
    bitmap.extend([0, 0, 0, 1, 0x03]);
    assert_eq!(
        Krl::parse(&certs(&section(0x22, &bitmap))),
        Err(KrlError::BadSerials)
    );
    assert_eq!(
        Krl::parse(&certs(&section(0x30, &[]))),
        Err(KrlError::UnsupportedCertSection(0x30))
    );
    let mut list = 1u64.to_be_bytes().to_vec();
    list.push(0);
    assert_eq!(
        Krl::parse(&certs(&section(0x20, &list))),
        Err(KrlError::Decode(
            Reader::new(&[0])
                .uint64("KRL revoked_cert_serial")
                .unwrap_err()
        ))
    );
    // More serials than the entry limit.
    let many = vec![0u8; (MAX_KRL_ENTRIES + 1) * 8];
    assert_eq!(
        Krl::parse(&certs(&section(0x20, &many))),
        Err(KrlError::TooManyEntries)
    );
    let huge = vec![0u8; MAX_KRL_BYTES + 1];
    assert_eq!(
        RevokedKeys::parse(&huge),
        Err(KrlError::TooLarge(MAX_KRL_BYTES + 1))
    );
}

#[test]
fn every_prefix_of_a_real_krl_parses_or_fails_cleanly() {
    let mut body = vec![0u8; 8];
    body.extend(section(0x20, &7u64.to_be_bytes()));
    body.extend(section(0x23, &[0, 0, 0, 1, b'x']));
    let mut bitmap = 100u64.to_be_bytes().to_vec();
    bitmap.extend([0, 0, 0, 1, 0x05]);
    body.extend(section(0x22, &bitmap));
    let mut all = section(1, &body);
    all.extend(section(3, &[[0, 0, 0, 20].as_slice(), &[7; 20]].concat()));
    let krl = krl_with(&all);
    // Only the prefixes that end between sections are whole KRLs.
    let header = krl_with(&[]).len();
    let ends = [header, header + section(1, &body).len(), krl.len()];
    for n in 0..=krl.len() {
        assert_eq!(
            Krl::parse(&krl[..n]).is_ok(),
            ends.contains(&n),
            "prefix {n}"
        );
    }
    let parsed = Krl::parse(&krl).unwrap();
    let bits = &parsed.certs[0].bitmaps[0].1;
    assert!(bit_set(bits, 100, 100) && !bit_set(bits, 101, 100) && bit_set(bits, 102, 100));
    assert!(!bit_set(bits, 99, 100) && !bit_set(bits, 108, 100));
}

proptest! {
    #[test]
    fn arbitrary_sections_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Krl::parse(&krl_with(&tail));
        let _ = RevokedKeys::parse(&tail);
    }
}
