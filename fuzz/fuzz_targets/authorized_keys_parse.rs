//! Parses arbitrary text as an authorized_keys file and looks keys up in it: nothing may
//! panic, every line is either an entry or a warning or blank, and what is found holds the key.
#![no_main]

use burrow_keyfiles::AuthorizedKeys;
use burrow_keys::KeyPair;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ak = AuthorizedKeys::parse(text);
    let lines = text.split('\n').count();
    assert!(ak.entries.len() + ak.warnings.len() <= lines);
    let probe = KeyPair::from_ed25519_seed(&[1; 32]).public_key().clone().to_blob();
    let mut blobs = vec![probe];
    blobs.extend(ak.entries.iter().take(4).map(|e| e.key.blob().to_vec()));
    for blob in &blobs {
        for addr in ["10.1.2.3", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1"] {
            let addr: std::net::IpAddr = addr.parse().unwrap();
            for now in [0, 1_700_000_000, u64::MAX] {
                let lookup = ak.find(blob, addr, now, 3600);
                if let Some(found) = &lookup.found {
                    assert_eq!(found.key.blob(), blob.as_slice());
                    assert!(!found.options.cert_authority);
                    assert!(!found.options.is_expired(now, 3600));
                    assert!(found.options.from_allows(addr));
                }
            }
        }
    }
    for e in ak.entries.iter().take(8) {
        for p in e.options.permit_open.iter().take(8) {
            let allowed = e.options.allows_open(&p.host, p.port.unwrap_or(1));
            assert_eq!(allowed, e.options.port_forwarding);
        }
        for p in e.options.permit_listen.iter().take(8) {
            let allowed = e.options.allows_listen(&p.host, p.port.unwrap_or(1));
            assert_eq!(allowed, e.options.port_forwarding);
        }
    }
});
