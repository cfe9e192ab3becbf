//! A small helper for the service request that follows the key exchange (RFC 4253 §10).

use burrow_wire::msg;
use burrow_wire::transport::{ServiceAccept, ServiceRequest};
use bytes::BytesMut;

/// The `ssh-userauth` service name.
pub const USERAUTH: &str = "ssh-userauth";

/// The payload of SSH_MSG_SERVICE_REQUEST for `service`, for `Transport::send_payload`.
pub fn service_request(service: &str) -> BytesMut {
    ServiceRequest {
        service_name: service.into(),
    }
    .to_bytes()
}

/// The payload of SSH_MSG_SERVICE_ACCEPT for `service`.
pub fn service_accept(service: &str) -> BytesMut {
    ServiceAccept {
        service_name: service.into(),
    }
    .to_bytes()
}

/// The service named by a SERVICE_ACCEPT payload, or `None` if it is not one.
pub fn accepted_service(payload: &[u8]) -> Option<String> {
    if payload.first() != Some(&msg::SERVICE_ACCEPT) {
        return None;
    }
    ServiceAccept::decode(payload)
        .ok()
        .map(|m| m.service_name.into_owned())
}

/// The service named by a SERVICE_REQUEST payload, or `None` if it is not one.
pub fn requested_service(payload: &[u8]) -> Option<String> {
    if payload.first() != Some(&msg::SERVICE_REQUEST) {
        return None;
    }
    ServiceRequest::decode(payload)
        .ok()
        .map(|m| m.service_name.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_accept_round_trip() {
        assert_eq!(
            requested_service(&service_request(USERAUTH)).as_deref(),
            Some(USERAUTH)
        );
        assert_eq!(
            accepted_service(&service_accept(USERAUTH)).as_deref(),
            Some(USERAUTH)
        );
        assert_eq!(accepted_service(&service_request(USERAUTH)), None);
        assert_eq!(accepted_service(&[6, 0, 0]), None);
    }
}
