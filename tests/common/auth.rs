//! Publickey authentication done by hand with wire bytes, so transport tests can get past
//! `[preauth]` (sshd only rekeys after authentication) before the userauth crate exists.

use std::time::Duration;

use burrow_keys::KeyPair;
use burrow_transport::TransportEvent;
use burrow_transport::service::{USERAUTH, accepted_service, service_request};
use burrow_wire::Writer;
use burrow_wire::userauth::publickey_signed_data;
use bytes::BytesMut;

use super::conn::Conn;

/// The local user name (sshd runs as it in these tests): the test kit's.
pub use burrow_testkit::local_user;

/// SERVICE_REQUEST ssh-userauth, then a signed publickey USERAUTH_REQUEST for `user` with
/// `key`; panics unless the server answers SERVICE_ACCEPT and USERAUTH_SUCCESS.
pub fn authenticate(conn: &mut Conn, user: &str, key: &KeyPair) {
    conn.t
        .send_payload(&service_request(USERAUTH))
        .expect("send SERVICE_REQUEST");
    match conn.next_event(Duration::from_secs(10)) {
        Some(TransportEvent::Payload(p)) => {
            assert_eq!(accepted_service(&p).as_deref(), Some(USERAUTH));
        }
        other => panic!("expected SERVICE_ACCEPT, got {other:?}"),
    }
    let session_id = conn.t.session_id().expect("session id").as_bytes().to_vec();
    let blob = key.public_key().to_blob();
    let signed = publickey_signed_data(&session_id, user, "ssh-connection", "ssh-ed25519", &blob);
    let signature = key
        .sign(burrow_keys::SigAlg::Ed25519, &signed, &mut rand_core::OsRng)
        .expect("sign");
    let mut request = BytesMut::new();
    Writer::new(&mut request)
        .byte(50)
        .utf8(user)
        .utf8("ssh-connection")
        .utf8("publickey")
        .boolean(true)
        .utf8("ssh-ed25519")
        .string(&blob)
        .string(&signature);
    conn.t
        .send_payload(&request)
        .expect("send USERAUTH_REQUEST");
    loop {
        match conn.next_event(Duration::from_secs(10)) {
            // USERAUTH_BANNER may come first.
            Some(TransportEvent::Payload(p)) if p.first() == Some(&53) => continue,
            Some(TransportEvent::Payload(p)) if p.first() == Some(&52) => return,
            other => panic!("expected USERAUTH_SUCCESS, got {other:?}"),
        }
    }
}
