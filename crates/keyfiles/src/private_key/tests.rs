//! Tests for openssh-key-v1 parsing, decryption and writing, including files made by the
//! real `ssh-keygen` at test time.

use std::path::Path;

use super::*;
use crate::KeyError;
use crate::testutil::{TempDir, run_keygen, ssh_keygen};

fn pair() -> KeyPair {
    KeyPair::from_ed25519_seed(&[7; 32])
}

/// Builds a private section in clear: check-ints, key, comment, padding to `block`.
fn section(check1: u32, check2: u32, pair: &KeyPair, comment: &str, block: usize) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let mut w = Writer::new(&mut buf);
    w.uint32(check1).uint32(check2);
    pair.write_private(&mut w).unwrap();
    w.utf8(comment);
    let mut v = buf.to_vec();
    let mut pad = 1u8;
    while v.len() % block != 0 {
        v.push(pad);
        pad += 1;
    }
    v
}

/// Builds a whole binary body from its parts.
fn body(
    cipher: &str,
    kdf: &str,
    kdf_options: &[u8],
    count: u32,
    public: &[u8],
    section: &[u8],
    tag: &[u8],
) -> Vec<u8> {
    let mut buf = BytesMut::new();
    Writer::new(&mut buf)
        .raw(MAGIC)
        .utf8(cipher)
        .utf8(kdf)
        .string(kdf_options)
        .uint32(count)
        .string(public)
        .string(section)
        .raw(tag);
    buf.to_vec()
}

fn bcrypt_options(salt: &[u8], rounds: u32) -> Vec<u8> {
    let mut buf = BytesMut::new();
    Writer::new(&mut buf).string(salt).uint32(rounds);
    buf.to_vec()
}

/// An encrypted body made with our test-only encryptor, bcrypt with 1 round (fast).
fn encrypted_body(cipher: Cipher, passphrase: &[u8], check2: u32) -> Vec<u8> {
    let kdf = Kdf::Bcrypt {
        salt: b"0123456789abcdef".to_vec(),
        rounds: 1,
    };
    let mut sec = section(99, check2, &pair(), "enc", 16);
    let tag = cipher::encrypt_in_place(cipher, &kdf, passphrase, &mut sec);
    body(
        cipher.name(),
        "bcrypt",
        &bcrypt_options(b"0123456789abcdef", 1),
        1,
        &pair().public_key().to_blob(),
        &sec,
        &tag,
    )
}

fn keygen_file(keygen: &Path, dir: &TempDir, name: &str, extra: &[&str]) -> (String, String) {
    let path = dir.path().join(name);
    let path = path.to_str().unwrap();
    let mut args = vec!["-q", "-C", "test comment", "-f", path];
    args.extend_from_slice(extra);
    run_keygen(keygen, &args);
    (
        std::fs::read_to_string(path).unwrap(),
        std::fs::read_to_string(format!("{path}.pub")).unwrap(),
    )
}

#[test]
fn encoded_key_round_trips() {
    let text = encode_unencrypted(&pair(), "me@here", 0xdead_beef).unwrap();
    assert!(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    assert!(text.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
    let file = PrivateKeyFile::parse(&text).unwrap();
    assert!(!file.is_encrypted());
    assert_eq!(file.cipher(), Cipher::None);
    assert_eq!(file.public_key(), pair().public_key());
    let key = file.decrypt(b"").unwrap();
    assert_eq!(key.keypair().public_key(), pair().public_key());
    assert_eq!(key.comment(), "me@here");
    assert_eq!(key.check_int(), 0xdead_beef);
}

#[test]
fn encoded_key_with_every_comment_length_pads_to_eight() {
    for n in 0..20 {
        let comment = "x".repeat(n);
        let text = encode_unencrypted(&pair(), &comment, 1).unwrap();
        let key = PrivateKeyFile::parse(&text).unwrap().decrypt(b"").unwrap();
        assert_eq!(key.comment(), comment);
    }
}

#[test]
fn ssh_keygen_y_accepts_encoded_key() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("enc-y");
    let path = dir.path().join("id_ed25519");
    std::fs::write(
        &path,
        encode_unencrypted(&pair(), "burrow test", 0x0102_0304).unwrap(),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = run_keygen(keygen, &["-y", "-f", path.to_str().unwrap()]);
    let printed = out.trim_end();
    // ssh-keygen -y prints the public key line, with the comment stored in the file.
    assert!(
        printed.starts_with(&pair().public_key().to_openssh_line("")),
        "{printed}"
    );
    assert_eq!(&parse_line_key(printed), pair().public_key());
}

fn parse_line_key(line: &str) -> PublicKey {
    crate::parse_public_key_line(line).unwrap().0
}

#[test]
fn ssh_keygen_unencrypted_key_parses_and_reencodes_byte_for_byte() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kg-plain");
    let (text, public) = keygen_file(keygen, &dir, "k", &["-t", "ed25519", "-N", ""]);
    let file = PrivateKeyFile::parse(&text).unwrap();
    assert!(!file.is_encrypted());
    let key = file.decrypt(b"").unwrap();
    let (pub_key, comment) = crate::parse_public_key_line(&public).unwrap();
    assert_eq!(key.keypair().public_key(), &pub_key);
    assert_eq!(key.comment(), "test comment");
    assert_eq!(comment, "test comment");
    let again = encode_unencrypted(key.keypair(), key.comment(), key.check_int()).unwrap();
    assert_eq!(again, text);
}

#[test]
fn ssh_keygen_aes256_ctr_key_decrypts_and_wrong_passphrase_is_clear() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kg-ctr");
    let (text, public) = keygen_file(keygen, &dir, "k", &["-t", "ed25519", "-N", "s3cret"]);
    let file = PrivateKeyFile::parse(&text).unwrap();
    assert!(file.is_encrypted());
    assert_eq!(file.cipher(), Cipher::Aes256Ctr);
    assert_eq!(file.public_key(), &parse_line_key(&public));
    let key = file.decrypt(b"s3cret").unwrap();
    assert_eq!(key.keypair().public_key(), file.public_key());
    assert_eq!(key.comment(), "test comment");
    let err = file.decrypt(b"s3creT").unwrap_err();
    assert!(err.is_wrong_passphrase());
    assert_eq!(
        err.to_string(),
        "wrong passphrase or corrupt key (check-ints differ)"
    );
    assert_eq!(
        file.decrypt(b"").unwrap_err().to_string(),
        "private key is encrypted, passphrase required"
    );
}

#[test]
fn ssh_keygen_aes256_gcm_key_decrypts_and_wrong_passphrase_is_clear() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kg-gcm");
    let (text, _) = keygen_file(
        keygen,
        &dir,
        "k",
        &[
            "-t",
            "ed25519",
            "-N",
            "pass phrase",
            "-Z",
            "aes256-gcm@openssh.com",
        ],
    );
    let file = PrivateKeyFile::parse(&text).unwrap();
    assert_eq!(file.cipher(), Cipher::Aes256Gcm);
    let key = file.decrypt(b"pass phrase").unwrap();
    assert_eq!(key.keypair().public_key(), file.public_key());
    let err = file.decrypt(b"pass phrasE").unwrap_err();
    assert!(err.is_wrong_passphrase());
    assert_eq!(
        err.to_string(),
        "wrong passphrase or corrupt key (aes256-gcm tag does not verify)"
    );
}

#[test]
fn ssh_keygen_rsa_and_ecdsa_keys_load_sign_and_reencode_byte_for_byte() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kg-rsa");
    let mut rng = rand_core::OsRng;
    for (name, args) in [
        ("rsa", &["-t", "rsa", "-b", "3072"][..]),
        ("ec256", &["-t", "ecdsa", "-b", "256"][..]),
        ("ec384", &["-t", "ecdsa", "-b", "384"][..]),
        ("ec521", &["-t", "ecdsa", "-b", "521"][..]),
    ] {
        let (text, public) = keygen_file(keygen, &dir, name, &[args, &["-N", ""]].concat());
        let key = PrivateKeyFile::parse(&text).unwrap().decrypt(b"").unwrap();
        assert_eq!(
            key.keypair().public_key(),
            &parse_line_key(&public),
            "{name}"
        );
        let again = encode_unencrypted(key.keypair(), key.comment(), key.check_int()).unwrap();
        assert_eq!(again, text, "{name}");
        for alg in key.keypair().algorithms() {
            let sig = key.keypair().sign(alg, b"data", &mut rng).unwrap();
            key.keypair()
                .public_key()
                .verify(alg, b"data", &sig)
                .unwrap();
        }
    }
    let (enc, _) = keygen_file(keygen, &dir, "ecpw", &["-t", "ecdsa", "-N", "pw"]);
    let file = PrivateKeyFile::parse(&enc).unwrap();
    assert_eq!(
        file.decrypt(b"").unwrap_err(),
        KeyFileError::PassphraseRequired
    );
    assert!(file.decrypt(b"pw").is_ok());
    let (small, _) = keygen_file(
        keygen,
        &dir,
        "rsa1k",
        &["-t", "rsa", "-b", "1024", "-N", ""],
    );
    // 1024 bits is OpenSSH's floor: read, and refused by a RequiredRSASize above it.
    let small = PrivateKeyFile::parse(&small).unwrap().public_key().clone();
    assert_eq!(small.check_rsa_size(1024), Ok(()));
    assert_eq!(
        small.check_rsa_size(2048),
        Err(KeyError::RsaKeyTooSmall {
            bits: 1024,
            min: 2048
        })
    );
}

#[test]
fn ssh_keygen_p_reencrypts_our_file_and_we_decrypt_it() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kg-p");
    let path = dir.path().join("k");
    std::fs::write(&path, encode_unencrypted(&pair(), "ours", 5).unwrap()).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let p = path.to_str().unwrap();
    run_keygen(keygen, &["-q", "-p", "-P", "", "-N", "new pass", "-f", p]);
    let file = PrivateKeyFile::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(file.is_encrypted());
    let key = file.decrypt(b"new pass").unwrap();
    assert_eq!(key.keypair().public_key(), pair().public_key());
    assert_eq!(key.comment(), "ours");
}

#[test]
fn handmade_ctr_and_gcm_files_decrypt() {
    for cipher in [Cipher::Aes256Ctr, Cipher::Aes256Gcm] {
        let b = encrypted_body(cipher, b"pw", 99);
        let file = PrivateKeyFile::parse_binary(&b).unwrap();
        let key = file.decrypt(b"pw").unwrap();
        assert_eq!(key.comment(), "enc");
        assert_eq!(key.check_int(), 99);
    }
}

#[test]
fn check_int_mismatch_is_wrong_passphrase() {
    let b = encrypted_body(Cipher::Aes256Ctr, b"pw", 98);
    let err = PrivateKeyFile::parse_binary(&b)
        .unwrap()
        .decrypt(b"pw")
        .unwrap_err();
    assert_eq!(err, KeyFileError::WrongPassphrase);
    let plain = body(
        "none",
        "none",
        b"",
        1,
        &pair().public_key().to_blob(),
        &section(1, 2, &pair(), "", 8),
        b"",
    );
    assert_eq!(
        PrivateKeyFile::parse_binary(&plain)
            .unwrap()
            .decrypt(b"")
            .unwrap_err(),
        KeyFileError::WrongPassphrase
    );
}

#[test]
fn gcm_tag_tampering_is_detected() {
    let mut b = encrypted_body(Cipher::Aes256Gcm, b"pw", 99);
    *b.last_mut().unwrap() ^= 0x80;
    let err = PrivateKeyFile::parse_binary(&b)
        .unwrap()
        .decrypt(b"pw")
        .unwrap_err();
    assert_eq!(err, KeyFileError::AuthenticationFailed);
}

#[test]
fn gcm_file_without_tag_is_truncated() {
    let b = encrypted_body(Cipher::Aes256Gcm, b"pw", 99);
    assert!(matches!(
        PrivateKeyFile::parse_binary(&b[..b.len() - 1]),
        Err(KeyFileError::Key(KeyError::Decode(_)))
    ));
}

#[test]
fn bad_padding_is_rejected() {
    let public = pair().public_key().to_blob();
    let mut sec = section(1, 1, &pair(), "ab", 8);
    *sec.last_mut().unwrap() = 9;
    let b = body("none", "none", b"", 1, &public, &sec, b"");
    assert_eq!(
        PrivateKeyFile::parse_binary(&b)
            .unwrap()
            .decrypt(b"")
            .unwrap_err(),
        KeyFileError::BadPadding
    );
    // A whole extra block of valid-looking padding is not what OpenSSH writes.
    let mut sec = section(1, 1, &pair(), "ab", 8);
    let start = sec.len() - sec.iter().rev().take_while(|&&b| b < 9 && b > 0).count();
    sec.truncate(start);
    sec.extend(1..=(8 + (8 - sec.len() % 8) as u8));
    assert_eq!(sec.len() % 8, 0);
    let b = body("none", "none", b"", 1, &public, &sec, b"");
    assert_eq!(
        PrivateKeyFile::parse_binary(&b)
            .unwrap()
            .decrypt(b"")
            .unwrap_err(),
        KeyFileError::BadPadding
    );
}

#[test]
fn private_part_of_other_key_is_key_mismatch() {
    let other = KeyPair::from_ed25519_seed(&[8; 32]);
    let b = body(
        "none",
        "none",
        b"",
        1,
        &pair().public_key().to_blob(),
        &section(1, 1, &other, "", 8),
        b"",
    );
    assert_eq!(
        PrivateKeyFile::parse_binary(&b)
            .unwrap()
            .decrypt(b"")
            .unwrap_err(),
        KeyFileError::Key(KeyError::KeyMismatch)
    );
}

#[test]
fn header_errors_are_specific() {
    let public = pair().public_key().to_blob();
    let sec = section(1, 1, &pair(), "", 8);
    let sec16 = section(1, 1, &pair(), "", 16);
    let cases: Vec<(Vec<u8>, KeyFileError)> = vec![
        (b"openssh-key-v2\0".to_vec(), KeyFileError::BadMagic),
        (
            body("none", "none", b"", 2, &public, &sec, b""),
            KeyFileError::KeyCount { count: 2 },
        ),
        (
            body("none", "none", b"", 0, &public, &sec, b""),
            KeyFileError::KeyCount { count: 0 },
        ),
        (
            body(
                "aes128-cbc",
                "bcrypt",
                &bcrypt_options(b"s", 16),
                1,
                &public,
                &sec16,
                b"",
            ),
            KeyFileError::UnsupportedCipher {
                name: "aes128-cbc".into(),
            },
        ),
        (
            body("aes256-ctr", "scrypt", b"", 1, &public, &sec16, b""),
            KeyFileError::UnsupportedKdf {
                name: "scrypt".into(),
            },
        ),
        (
            body(
                "none",
                "bcrypt",
                &bcrypt_options(b"s", 16),
                1,
                &public,
                &sec,
                b"",
            ),
            KeyFileError::CipherKdfMismatch,
        ),
        (
            body("aes256-ctr", "none", b"", 1, &public, &sec16, b""),
            KeyFileError::CipherKdfMismatch,
        ),
        (
            body(
                "aes256-ctr",
                "bcrypt",
                &bcrypt_options(b"s", MAX_BCRYPT_ROUNDS + 1),
                1,
                &public,
                &sec16,
                b"",
            ),
            KeyFileError::KdfRoundsOutOfRange {
                rounds: 1025,
                limit: 1024,
            },
        ),
        (
            body(
                "aes256-ctr",
                "bcrypt",
                &bcrypt_options(b"s", 0),
                1,
                &public,
                &sec16,
                b"",
            ),
            KeyFileError::KdfRoundsOutOfRange {
                rounds: 0,
                limit: 1024,
            },
        ),
        (
            body(
                "aes256-ctr",
                "bcrypt",
                &bcrypt_options(b"", 16),
                1,
                &public,
                &sec16,
                b"",
            ),
            KeyFileError::KdfSaltLength { len: 0 },
        ),
        (
            body("none", "none", b"", 1, &public, &sec[..sec.len() - 1], b""),
            KeyFileError::BadCiphertextLength {
                len: sec.len() - 1,
                block: 8,
            },
        ),
        (
            body(
                "aes256-ctr",
                "bcrypt",
                &bcrypt_options(b"s", 16),
                1,
                &public,
                &sec16[..8],
                b"",
            ),
            KeyFileError::BadCiphertextLength { len: 8, block: 16 },
        ),
    ];
    for (b, expected) in cases {
        assert_eq!(PrivateKeyFile::parse_binary(&b).unwrap_err(), expected);
    }
}

#[test]
fn rounds_error_message_names_the_limit() {
    assert_eq!(
        KeyFileError::KdfRoundsOutOfRange {
            rounds: 5000,
            limit: MAX_BCRYPT_ROUNDS
        }
        .to_string(),
        "bcrypt kdf rounds 5000 outside the accepted range 1..=1024"
    );
}

#[test]
fn trailing_bytes_after_section_are_rejected() {
    let mut b = body(
        "none",
        "none",
        b"",
        1,
        &pair().public_key().to_blob(),
        &section(1, 1, &pair(), "", 8),
        b"",
    );
    b.push(0);
    assert!(matches!(
        PrivateKeyFile::parse_binary(&b),
        Err(KeyFileError::Key(KeyError::Decode(_)))
    ));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for b in [
        encrypted_body(Cipher::Aes256Gcm, b"pw", 99),
        body(
            "none",
            "none",
            b"",
            1,
            &pair().public_key().to_blob(),
            &section(1, 1, &pair(), "c", 8),
            b"",
        ),
    ] {
        for n in 0..b.len() {
            assert!(PrivateKeyFile::parse_binary(&b[..n]).is_err(), "{n}");
        }
    }
}

#[test]
fn lengths_inside_private_section_are_bounds_checked() {
    // A comment length pointing far past the section end.
    let public = pair().public_key().to_blob();
    let mut sec = section(1, 1, &pair(), "", 8);
    let at = 8 + 4 + 11 + 4 + 32 + 4 + 64;
    sec[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let b = body("none", "none", b"", 1, &public, &sec, b"");
    assert!(matches!(
        PrivateKeyFile::parse_binary(&b).unwrap().decrypt(b""),
        Err(KeyFileError::Key(KeyError::Decode(_)))
    ));
}

#[test]
fn debug_output_shows_no_secret() {
    let text = encode_unencrypted(&pair(), "c", 1).unwrap();
    let file = PrivateKeyFile::parse(&text).unwrap();
    let key = file.decrypt(b"").unwrap();
    let seed_hex: String = [7u8; 32].iter().map(|b| format!("{b:02x}")).collect();
    for dbg in [format!("{file:?}"), format!("{key:?}")] {
        assert!(!dbg.contains("7, 7, 7"), "{dbg}");
        assert!(!dbg.contains(&seed_hex), "{dbg}");
    }
}
