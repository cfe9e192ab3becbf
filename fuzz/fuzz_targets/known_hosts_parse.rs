//! Parses arbitrary text as a known_hosts file and checks keys against it: nothing may
//! panic, and every status names a line that exists and matches its meaning.
#![no_main]

use burrow_keyfiles::known_hosts::{HostKeyStatus, Marker, host_name};
use burrow_keyfiles::{KeyBlob, KnownHosts};
use burrow_keys::KeyPair;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kh = KnownHosts::parse(text);
    let probe = KeyBlob::from(&KeyPair::from_ed25519_seed(&[1; 32]).public_key().clone());
    let mut keys = vec![probe];
    keys.extend(kh.entries.iter().take(4).map(|e| e.key.clone()));
    for key in &keys {
        for (host, port) in [("host", 22), ("host", 2222), ("10.0.0.1", 22), ("::1", 22)] {
            let name = host_name(host, port);
            let entry = |line: usize| {
                kh.entries
                    .iter()
                    .find(|e| e.line == line)
                    .filter(|e| e.hosts.matches(&name))
            };
            match kh.check(host, port, key) {
                HostKeyStatus::Known { line } => {
                    let e = entry(line).unwrap();
                    assert!(e.marker == Marker::None && e.key == *key);
                }
                HostKeyStatus::Revoked { line } => {
                    let e = entry(line).unwrap();
                    assert!(e.marker == Marker::Revoked && e.key == *key);
                }
                HostKeyStatus::Changed { line } => {
                    let e = entry(line).unwrap();
                    assert!(e.marker == Marker::None && e.key != *key);
                }
                HostKeyStatus::CertAuthorityUnsupported { line } => {
                    assert_eq!(entry(line).unwrap().marker, Marker::CertAuthority);
                }
                HostKeyStatus::Unknown => {}
            }
        }
    }
});
