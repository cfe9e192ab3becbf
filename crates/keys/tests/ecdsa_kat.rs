//! Known-answer tests: the published ECDSA signatures of RFC 6979 appendix A.2.6 (P-384 with
//! SHA-384) and A.2.7 (P-521 with SHA-512) verify through the public keys API, as SSH carries
//! them (RFC 5656 §3.1: `ecdsa-sha2-nistp384`/`nistp521` blobs, `mpint r, mpint s`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use burrow_keys::{KeyError, PublicKey, SigAlg};
use burrow_wire::{Mpint, Writer};
use bytes::BytesMut;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The public key blob: `string type, string curve, string Q` with Q = 04 || Ux || Uy.
fn key_blob(key_type: &str, curve: &str, ux: &str, uy: &str) -> PublicKey {
    let mut point = vec![4];
    point.extend(hex(ux));
    point.extend(hex(uy));
    let mut buf = BytesMut::new();
    Writer::new(&mut buf)
        .utf8(key_type)
        .utf8(curve)
        .string(&point);
    PublicKey::from_blob(&buf).unwrap()
}

/// The signature blob: `string alg, string (mpint r, mpint s)`.
fn sig_blob(alg: SigAlg, r: &str, s: &str) -> Vec<u8> {
    let mut inner = BytesMut::new();
    Writer::new(&mut inner)
        .mpint(&Mpint::from_unsigned_be(&hex(r)))
        .mpint(&Mpint::from_unsigned_be(&hex(s)));
    let mut buf = BytesMut::new();
    Writer::new(&mut buf).utf8(alg.name()).string(&inner);
    buf.to_vec()
}

/// RFC 6979 A.2.6: the P-384 key pair's public key U.
const P384_UX: &str = "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64
                       DEF8F0EA9055866064A254515480BC13";
const P384_UY: &str = "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1
                       288B231C3AE0D4FE7344FD2533264720";

#[test]
fn rfc6979_a26_p384_sha384_signatures_verify() {
    let key = key_blob("ecdsa-sha2-nistp384", "nistp384", P384_UX, P384_UY);
    assert_eq!(key.key_type(), "ecdsa-sha2-nistp384");
    // With SHA-384, message = "sample".
    let sample = sig_blob(
        SigAlg::EcdsaP384,
        "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C
         81A648152E44ACF96E36DD1E80FABE46",
        "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94F
         A329C145786E679E7B82C71A38628AC8",
    );
    // With SHA-384, message = "test".
    let test = sig_blob(
        SigAlg::EcdsaP384,
        "8203B63D3C853E8D77227FB377BCF7B7B772E97892A80F36AB775D509D7A5FEB
         0542A7F0812998DA8F1DD3CA3CF023DB",
        "DDD0760448D42D8A43AF45AF836FCE4DE8BE06B485E9B61B827C2F13173923E0
         6A739F040649A667BF3B828246BAA5A5",
    );
    assert_eq!(key.verify(SigAlg::EcdsaP384, b"sample", &sample), Ok(()));
    assert_eq!(key.verify(SigAlg::EcdsaP384, b"test", &test), Ok(()));
    assert_eq!(
        key.verify(SigAlg::EcdsaP384, b"test", &sample),
        Err(KeyError::SignatureVerificationFailed)
    );
}

#[test]
fn rfc6979_a27_p521_sha512_signature_verifies() {
    // RFC 6979 A.2.7: the P-521 key pair's public key U.
    let key = key_blob(
        "ecdsa-sha2-nistp521",
        "nistp521",
        "01894550D0785932E00EAA23B694F213F8C3121F86DC97A04E5A7167DB4E5BCD
         371123D46E45DB6B5D5370A7F20FB633155D38FFA16D2BD761DCAC474B9A2F50
         23A4",
        "00493101C962CD4D2FDDF782285E64584139C2F91B47F87FF82354D6630F746A
         28A0DB25741B5B34A828008B22ACC23F924FAAFBD4D33F81EA66956DFEAA2BFD
         FCF5",
    );
    // With SHA-512, message = "sample" (r and s are 521-bit, leading zero bits dropped).
    let sample = sig_blob(
        SigAlg::EcdsaP521,
        "C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F17
         4E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E377FA",
        "617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF28
         2623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A67A",
    );
    assert_eq!(key.verify(SigAlg::EcdsaP521, b"sample", &sample), Ok(()));
    assert_eq!(
        key.verify(SigAlg::EcdsaP521, b"samplf", &sample),
        Err(KeyError::SignatureVerificationFailed)
    );
    // The P-384 algorithm name does not belong to a P-521 key.
    assert!(matches!(
        key.verify(SigAlg::EcdsaP384, b"sample", &sample),
        Err(KeyError::SignatureAlgorithmMismatch { .. })
    ));
}
