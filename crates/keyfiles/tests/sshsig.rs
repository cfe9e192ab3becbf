//! Signatures of every signing key type against the real `ssh-keygen -Y sign`/`-Y verify`
//! (PROTOCOL.sshsig), both ways: keys made by ssh-keygen, read through [`PrivateKeyFile`].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../src/testutil.rs"]
mod testutil;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use burrow_keyfiles::PrivateKeyFile;
use burrow_keys::{KeyPair, SigAlg};
use burrow_wire::{Reader, Writer};
use bytes::BytesMut;
use sha2::Digest as _;
use testutil::{TempDir, run_keygen, ssh_keygen};

fn sign(pair: &KeyPair, alg: SigAlg, m: &[u8]) -> Vec<u8> {
    pair.sign(alg, m, &mut rand_core::OsRng).unwrap()
}

/// Runs `ssh-keygen -Y sign` and returns the SSHSIG's public key and signature blob, with
/// the data that signature covers (PROTOCOL.sshsig).
fn sshsig(keygen: &std::path::Path, key: &str, message: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let msg_path = format!("{key}.msg");
    std::fs::write(&msg_path, message).unwrap();
    run_keygen(keygen, &["-Y", "sign", "-n", "file", "-f", key, &msg_path]);
    let armored = std::fs::read_to_string(format!("{msg_path}.sig")).unwrap();
    let b64: String = armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let raw = STANDARD.decode(b64).unwrap();
    let mut r = Reader::new(&raw[6..]);
    r.uint32("version").unwrap();
    let public = r.string("publickey").unwrap().to_vec();
    r.string("namespace").unwrap();
    r.string("reserved").unwrap();
    let hash_alg = r.string("hash").unwrap();
    assert_eq!(hash_alg, b"sha512");
    let signature = r.string("signature").unwrap().to_vec();
    let mut signed = BytesMut::new();
    Writer::new(&mut signed)
        .raw(b"SSHSIG")
        .utf8("file")
        .string(b"")
        .utf8("sha512")
        .string(&sha2::Sha512::digest(message));
    (public, signature, signed.to_vec())
}

#[test]
fn ssh_keygen_signatures_verify_and_ours_verify_with_ssh_keygen() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("sig");
    for (name, args) in [
        ("rsa", &["-t", "rsa", "-b", "2048"][..]),
        ("ec256", &["-t", "ecdsa", "-b", "256"][..]),
        ("ec384", &["-t", "ecdsa", "-b", "384"][..]),
        ("ec521", &["-t", "ecdsa", "-b", "521"][..]),
    ] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        run_keygen(keygen, &[args, &["-q", "-N", "", "-f", path]].concat());
        let pair = PrivateKeyFile::parse(&std::fs::read_to_string(path).unwrap())
            .unwrap()
            .decrypt(b"")
            .unwrap()
            .into_keypair();
        let (public, signature, signed) = sshsig(keygen, path, b"hello");
        assert_eq!(public, pair.public_key().blob());
        let alg_name = Reader::new(&signature).string("alg").unwrap().to_vec();
        let alg = SigAlg::from_name(std::str::from_utf8(&alg_name).unwrap()).unwrap();
        assert_eq!(
            pair.public_key().verify(alg, &signed, &signature),
            Ok(()),
            "{name}"
        );
        assert!(pair.public_key().verify(alg, b"other", &signature).is_err());
        // Our signature over the same data in place of ssh-keygen's: ssh-keygen accepts it.
        let ours = sign(&pair, alg, &signed);
        let sig_file = format!("{path}.msg.sig");
        let armored = std::fs::read_to_string(&sig_file).unwrap();
        let b64: String = armored
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let raw = STANDARD.decode(b64).unwrap();
        let cut = raw.len() - 4 - signature.len();
        let mut forged = raw[..cut].to_vec();
        forged.extend_from_slice(&(ours.len() as u32).to_be_bytes());
        forged.extend_from_slice(&ours);
        let text = format!(
            "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
            STANDARD.encode(&forged)
        );
        std::fs::write(&sig_file, text).unwrap();
        let signers = format!("{path}.signers");
        std::fs::write(
            &signers,
            format!("me {}\n", pair.public_key().to_openssh_line("")),
        )
        .unwrap();
        let out = std::process::Command::new(keygen)
            .args([
                "-Y", "verify", "-f", &signers, "-I", "me", "-n", "file", "-s", &sig_file,
            ])
            .stdin(std::fs::File::open(format!("{path}.msg")).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
