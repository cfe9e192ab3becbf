//! Parses arbitrary input as an OpenSSH private key, as armoured text (first byte odd) or as
//! the binary body (first byte even, to get past base64 quickly). An unencrypted key that
//! decrypts must re-encode to the same binary body.
#![no_main]

use burrow_keyfiles::private_key::decode_armor;
use burrow_keyfiles::{PrivateKeyFile, encode_unencrypted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (parsed, body) = if mode % 2 == 1 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        let body = decode_armor(text).ok().map(|b| b.to_vec());
        (PrivateKeyFile::parse(text), body)
    } else {
        (PrivateKeyFile::parse_binary(rest), Some(rest.to_vec()))
    };
    let Ok(file) = parsed else {
        return;
    };
    // Encrypted keys are not decrypted: bcrypt with up to 1024 rounds is too slow to fuzz.
    if file.is_encrypted() {
        return;
    }
    let Ok(key) = file.decrypt(b"") else {
        return;
    };
    assert_eq!(key.keypair().public_key(), file.public_key());
    let again = encode_unencrypted(key.keypair(), key.comment(), key.check_int()).unwrap();
    let reparsed = PrivateKeyFile::parse(&again).unwrap();
    let key2 = reparsed.decrypt(b"").unwrap();
    assert_eq!(key2.keypair().public_key(), key.keypair().public_key());
    assert_eq!(key2.comment(), key.comment());
    assert_eq!(key2.check_int(), key.check_int());
    // A comment that was not UTF-8 was replaced by U+FFFD, so only then may bytes differ.
    if !key.comment().contains('\u{FFFD}') {
        let again_body = decode_armor(&again).unwrap();
        assert_eq!(Some(again_body.to_vec()), body);
    }
});
