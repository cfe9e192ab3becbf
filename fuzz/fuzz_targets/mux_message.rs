//! Bytes as a packet of OpenSSH's multiplexing protocol, as a control master or client reads
//! it: the length prefix is checked against its limit, the body decodes to a message or an
//! error (never a panic), and a decoded message encodes and decodes back to itself.
#![no_main]

use burrow_cli::client::control::codec::{MAX_PACKET, Message, body_len};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((prefix, body)) = data.split_first_chunk::<4>() else {
        return;
    };
    if let Ok(len) = body_len(*prefix) {
        assert!((4..=MAX_PACKET).contains(&len));
    }
    if let Ok(m) = Message::decode(body) {
        let packet = m.encode();
        let (p, b) = packet.split_first_chunk::<4>().expect("a length prefix");
        assert_eq!(u32::from_be_bytes(*p) as usize, b.len());
        assert_eq!(Message::decode(b).as_ref(), Ok(&m));
    }
});
