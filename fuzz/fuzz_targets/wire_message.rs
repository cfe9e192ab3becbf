//! Decodes arbitrary bytes as a message of every layer (userauth with each reading of 60); what
//! decodes must encode to bytes that decode to an equal message.
#![no_main]

use burrow_wire::connection::ConnectionMessage;
use burrow_wire::transport::TransportMessage;
use burrow_wire::userauth::{Expect60, UserauthMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = TransportMessage::decode(data) {
        let bytes = m.to_bytes();
        assert_eq!(TransportMessage::decode(&bytes).as_ref(), Ok(&m));
    }
    if let Ok(m) = ConnectionMessage::decode(data) {
        let bytes = m.to_bytes();
        assert_eq!(ConnectionMessage::decode(&bytes).as_ref(), Ok(&m));
    }
    for expect in [
        Expect60::PkOk,
        Expect60::PasswdChangereq,
        Expect60::InfoRequest,
    ] {
        if let Ok(m) = UserauthMessage::decode(data, expect) {
            let bytes = m.to_bytes();
            assert_eq!(UserauthMessage::decode(&bytes, expect).as_ref(), Ok(&m));
        }
    }
});
