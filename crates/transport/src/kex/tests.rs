//! Known-answer tests for the exchange hash and key derivation. The expected values were computed
//! independently with Python's hashlib by `testdata/kex_vectors.py` (run it to regenerate);
//! the inputs are the RFC 7748 §6.1 X25519 example plus fixed version lines and KEXINITs.

use super::*;
use crate::cipher::testing::hex;

fn string(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

struct Vector<'a> {
    name: &'a str,
    shared_secret: &'a str,
    h: &'a str,
    iv_c2s_12: &'a str,
    enc_c2s_64: &'a str,
    mac_c2s_64: &'a str,
    mac_s2c_100: &'a str,
    rekey_enc_s2c_32: &'a str,
}

struct Fixed {
    i_c: Vec<u8>,
    i_s: Vec<u8>,
    k_s: Vec<u8>,
    q_c: Vec<u8>,
    q_s: Vec<u8>,
}

fn fixed() -> Fixed {
    let mut i_c = vec![0x14];
    i_c.extend(0u8..16);
    i_c.extend(string(b"curve25519-sha256,ext-info-c"));
    i_c.extend([0u8; 5]);
    let mut i_s = vec![0x14];
    i_s.extend(16u8..32);
    i_s.extend(string(b"curve25519-sha256,kex-strict-s-v00@openssh.com"));
    i_s.extend([0u8; 5]);
    let mut k_s = string(b"ssh-ed25519");
    k_s.extend(string(&[0x22; 32]));
    Fixed {
        i_c,
        i_s,
        k_s,
        q_c: hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
        q_s: hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
    }
}

const VECTORS: &[Vector<'static>] = &[
    Vector {
        name: "rfc7748",
        shared_secret: "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        h: "6b20df79a5155b2441da8818850fe86840a95c581f232e553af9cc77a10c8eb7",
        iv_c2s_12: "c8bdcbd7d7cb8398bb9b3262",
        enc_c2s_64: "5581c105cbbd766d1484fb1899db33052db04667200970a3e02a6111a2f2d3f7a5c2f6651f1d41aff2d1fb1ad2df88afef49e3f5eb0bb5361cf3a3ad3ff70888",
        mac_c2s_64: "e11edc0c03624a0f7b78535ed98599e40c1a700e0c7d2b44c1163df379d467fe3ebbb9d638606d8b82f2088e389c514e623a00f011da96269d368feb32c0d5db",
        mac_s2c_100: "2ef420eb0a3c007f4fcf2290ab4394bce6183372f1df799d5cc327f7aee932044a10cd15a9de231d316f885e7c654ae776d09f56c6a92f9ef90e5d63b6c321a1de029baaa15d026bbb558893e9955f484d7d5d4bfb0ae7347a696fb9347410a004a95a12",
        rekey_enc_s2c_32: "cf1ebf013afcb1419362e7a8cb8bce4c1b251cb95dfd343b6039c258448263b9",
    },
    Vector {
        name: "high_bit",
        shared_secret: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        h: "5c9bf5c5f0511a25147f0c2c8da9db57593d837932f5087f61bb12bce47d441e",
        iv_c2s_12: "87b48aa7e666fdaf78ce310b",
        enc_c2s_64: "fe6b4bda3c382bb2d3740b0fb5cca74c4aa2e154a2c7f23d28ce4426612240efa8a1f5c23755da053e931d9b2b8ca09e010667cec6ab10674c785c0e8c755b7e",
        mac_c2s_64: "8e83faede6ae16d9b920dbea6742af71345a406a76745164fa88553b5ff56c4f4a4d0474e562741c99c386ea1059fedac87f468d2cc36d34da2fd7d843d3f05f",
        mac_s2c_100: "b8d09c39b5a32abb5c9336f7469cfdc5573ce1e2ad3147042e1938ed1484e4a99cfd2b0138d367d7f3374e286c57aea44c90dec845d3b62436a5072f3e2cc07d9a7b2766a533e64f1a7673fd56d377352bc72587214e3a87411a4a0c5eeec3a83ee74c95",
        rekey_enc_s2c_32: "2659c57f7e6e6631b58ead8bc91f77344acc4bbfb768d18fcb2b45e54c606d31",
    },
    Vector {
        name: "leading_zero",
        shared_secret: "00007f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
        h: "e9677b1bfce6e745a83e2f07a68fe6a92479346cdedff6e5f0f5c392da283d53",
        iv_c2s_12: "8b20b4c18c679c3cd5489ad0",
        enc_c2s_64: "7bde72b43c6bb167d75c03494ded232339b1e9900b8eeed65ddcc3aa46b9cf41db2652c699d09e1402a83a33c374908b592145506281a271659f9ef0c71afba5",
        mac_c2s_64: "15a298ade9806c6c6d3da6d2190dcee0c689f5dd34fdf07344795c4b24672c967fceb13475d6bd0f8c32288102b3ca5e778550b970e4ffc1a322909e5b1787f5",
        mac_s2c_100: "e0693aef3d8f69e05dbd36136120e005a735972ad587407b89e3a090aa2785a4bc7d1989471cc525bdf15d5120fc2e6650185b4419a25c0d2340d9af127064b3e16b29cf20504ce5f7c607cf1c01b02dedbf8c43afc8bdc8056e934daaeda9c1a1fbfce5",
        rekey_enc_s2c_32: "53879b90bfc3c0cb7e80234ca3535c0aed47ce6511be162a79012074eae71469",
    },
];

fn hash_for(v: &Vector<'_>) -> (Vec<u8>, SharedSecret) {
    let f = fixed();
    let k = SharedSecret::mpint(&hex(v.shared_secret));
    let h = exchange_hash(
        KexHash::Sha256,
        &ExchangeHashInput {
            client_version: b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
            server_version: b"SSH-2.0-burrow_0.1.0",
            client_kexinit: &f.i_c,
            server_kexinit: &f.i_s,
            host_key: &f.k_s,
            client_ephemeral: &f.q_c,
            server_ephemeral: &f.q_s,
            shared_secret: &k,
        },
    );
    (h, k)
}

#[test]
fn exchange_hash_matches_independent_computation() {
    for v in VECTORS {
        let (h, _) = hash_for(v);
        assert_eq!(h, hex(v.h), "{}", v.name);
    }
}

#[test]
fn derived_keys_match_independent_computation_including_extension() {
    for v in VECTORS {
        let (h, k) = hash_for(v);
        let cases = [
            (KeyLetter::IvClientToServer, 12, v.iv_c2s_12),
            (KeyLetter::EncClientToServer, 64, v.enc_c2s_64),
            (KeyLetter::MacClientToServer, 64, v.mac_c2s_64),
            (KeyLetter::MacServerToClient, 100, v.mac_s2c_100),
        ];
        for (letter, len, want) in cases {
            let got = derive_key(KexHash::Sha256, &k, &h, letter, &h, len);
            assert_eq!(
                got.as_slice(),
                hex(want).as_slice(),
                "{} {letter:?}",
                v.name
            );
        }
    }
}

#[test]
fn rekey_derivation_uses_the_first_session_id() {
    for v in VECTORS {
        let (h, k) = hash_for(v);
        let got = derive_key(
            KexHash::Sha256,
            &k,
            &h,
            KeyLetter::EncServerToClient,
            &[0x5a; 32],
            32,
        );
        assert_eq!(
            got.as_slice(),
            hex(v.rekey_enc_s2c_32).as_slice(),
            "{}",
            v.name
        );
    }
}

#[test]
fn short_key_is_prefix_of_long_key() {
    let (h, k) = hash_for(&VECTORS[0]);
    let long = derive_key(
        KexHash::Sha256,
        &k,
        &h,
        KeyLetter::EncClientToServer,
        &h,
        64,
    );
    let short = derive_key(
        KexHash::Sha256,
        &k,
        &h,
        KeyLetter::EncClientToServer,
        &h,
        16,
    );
    assert_eq!(&long[..16], short.as_slice());
}

#[test]
fn x25519_agreement_feeds_the_rfc7748_vector() {
    let alice = EphemeralKey::from_secret_bytes(
        hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
            .try_into()
            .unwrap(),
    );
    let k = alice.agree(&fixed().q_s).unwrap();
    assert_eq!(k.to_vec(), hex(VECTORS[0].shared_secret));
}
