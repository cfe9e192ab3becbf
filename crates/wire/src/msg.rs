//! Message numbers (RFC 4250 §4.1, RFC 8308, RFC 8731/5656 for ECDH).

/// SSH_MSG_DISCONNECT.
pub const DISCONNECT: u8 = 1;
/// SSH_MSG_IGNORE.
pub const IGNORE: u8 = 2;
/// SSH_MSG_UNIMPLEMENTED.
pub const UNIMPLEMENTED: u8 = 3;
/// SSH_MSG_DEBUG.
pub const DEBUG: u8 = 4;
/// SSH_MSG_SERVICE_REQUEST.
pub const SERVICE_REQUEST: u8 = 5;
/// SSH_MSG_SERVICE_ACCEPT.
pub const SERVICE_ACCEPT: u8 = 6;
/// SSH_MSG_EXT_INFO (RFC 8308).
pub const EXT_INFO: u8 = 7;
/// SSH_MSG_KEXINIT.
pub const KEXINIT: u8 = 20;
/// SSH_MSG_NEWKEYS.
pub const NEWKEYS: u8 = 21;
/// SSH_MSG_KEX_ECDH_INIT (RFC 5656 §7.1, used by curve25519-sha256).
pub const KEX_ECDH_INIT: u8 = 30;
/// SSH_MSG_KEX_ECDH_REPLY.
pub const KEX_ECDH_REPLY: u8 = 31;

/// SSH_MSG_USERAUTH_REQUEST.
pub const USERAUTH_REQUEST: u8 = 50;
/// SSH_MSG_USERAUTH_FAILURE.
pub const USERAUTH_FAILURE: u8 = 51;
/// SSH_MSG_USERAUTH_SUCCESS.
pub const USERAUTH_SUCCESS: u8 = 52;
/// SSH_MSG_USERAUTH_BANNER.
pub const USERAUTH_BANNER: u8 = 53;
/// SSH_MSG_USERAUTH_PK_OK (publickey method).
pub const USERAUTH_PK_OK: u8 = 60;
/// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (password method; shares 60 with PK_OK).
pub const USERAUTH_PASSWD_CHANGEREQ: u8 = 60;
/// SSH_MSG_USERAUTH_INFO_REQUEST (keyboard-interactive, RFC 4256; shares 60).
pub const USERAUTH_INFO_REQUEST: u8 = 60;
/// SSH_MSG_USERAUTH_INFO_RESPONSE (keyboard-interactive, RFC 4256).
pub const USERAUTH_INFO_RESPONSE: u8 = 61;

/// SSH_MSG_GLOBAL_REQUEST.
pub const GLOBAL_REQUEST: u8 = 80;
/// SSH_MSG_REQUEST_SUCCESS.
pub const REQUEST_SUCCESS: u8 = 81;
/// SSH_MSG_REQUEST_FAILURE.
pub const REQUEST_FAILURE: u8 = 82;
/// SSH_MSG_CHANNEL_OPEN.
pub const CHANNEL_OPEN: u8 = 90;
/// SSH_MSG_CHANNEL_OPEN_CONFIRMATION.
pub const CHANNEL_OPEN_CONFIRMATION: u8 = 91;
/// SSH_MSG_CHANNEL_OPEN_FAILURE.
pub const CHANNEL_OPEN_FAILURE: u8 = 92;
/// SSH_MSG_CHANNEL_WINDOW_ADJUST.
pub const CHANNEL_WINDOW_ADJUST: u8 = 93;
/// SSH_MSG_CHANNEL_DATA.
pub const CHANNEL_DATA: u8 = 94;
/// SSH_MSG_CHANNEL_EXTENDED_DATA.
pub const CHANNEL_EXTENDED_DATA: u8 = 95;
/// SSH_MSG_CHANNEL_EOF.
pub const CHANNEL_EOF: u8 = 96;
/// SSH_MSG_CHANNEL_CLOSE.
pub const CHANNEL_CLOSE: u8 = 97;
/// SSH_MSG_CHANNEL_REQUEST.
pub const CHANNEL_REQUEST: u8 = 98;
/// SSH_MSG_CHANNEL_SUCCESS.
pub const CHANNEL_SUCCESS: u8 = 99;
/// SSH_MSG_CHANNEL_FAILURE.
pub const CHANNEL_FAILURE: u8 = 100;

/// The layer a message number belongs to (RFC 4250 §4.1.2 ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// 1-19: generic transport (disconnect, ignore, debug, service, ext-info).
    TransportGeneric,
    /// 20-29: algorithm negotiation.
    AlgorithmNegotiation,
    /// 30-49: key-exchange-method specific.
    KeyExchange,
    /// 50-59: generic userauth; 60-79: userauth-method specific.
    UserAuth,
    /// 80-89: generic connection protocol; 90-127: channel related.
    Connection,
    /// 128-191: reserved for client protocols; 192-255: local extensions; 0: never valid.
    Other,
}

/// Which layer `number` belongs to.
pub fn layer_of(number: u8) -> Layer {
    match number {
        1..=19 => Layer::TransportGeneric,
        20..=29 => Layer::AlgorithmNegotiation,
        30..=49 => Layer::KeyExchange,
        50..=79 => Layer::UserAuth,
        80..=127 => Layer::Connection,
        _ => Layer::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc4250() {
        assert_eq!(layer_of(0), Layer::Other);
        assert_eq!(layer_of(DISCONNECT), Layer::TransportGeneric);
        assert_eq!(layer_of(EXT_INFO), Layer::TransportGeneric);
        assert_eq!(layer_of(KEXINIT), Layer::AlgorithmNegotiation);
        assert_eq!(layer_of(KEX_ECDH_REPLY), Layer::KeyExchange);
        assert_eq!(layer_of(USERAUTH_INFO_RESPONSE), Layer::UserAuth);
        assert_eq!(layer_of(GLOBAL_REQUEST), Layer::Connection);
        assert_eq!(layer_of(CHANNEL_FAILURE), Layer::Connection);
        assert_eq!(layer_of(192), Layer::Other);
    }
}
