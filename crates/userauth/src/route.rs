//! The userauth admission gate: which layer a service-layer payload from the peer goes to,
//! before and after authentication (RFC 4252 §6, RFC 4250 §4.1), so that no connection-layer
//! message is ever handled before a server's `Authenticated` exists (CVE-2018-10933 class).

use burrow_wire::{Side, msg};

/// Where a payload from the peer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// To the userauth state machine (`Client` or `Server::handle_payload`).
    Userauth,
    /// To the connection layer.
    Connection,
    /// Drop it silently (OpenSSH ignores USERAUTH_REQUEST after success, and a late banner).
    Ignore,
    /// Answer SSH_MSG_UNIMPLEMENTED (a number outside the defined ranges).
    Unimplemented,
    /// A protocol violation: disconnect with PROTOCOL_ERROR.
    Refuse,
}

/// Routes message `number` received by `side` (we are `side`), `authenticated` once
/// USERAUTH_SUCCESS went (server) or came (client). Transport messages (1-49) other than
/// SERVICE_REQUEST/ACCEPT are the transport's and are refused here.
pub fn route(side: Side, authenticated: bool, number: u8) -> Route {
    match (side, authenticated, number) {
        (Side::Server, false, msg::SERVICE_REQUEST | msg::USERAUTH_REQUEST) => Route::Userauth,
        (Side::Server, false, msg::USERAUTH_INFO_RESPONSE) => Route::Userauth,
        (Side::Server, true, msg::USERAUTH_REQUEST) => Route::Ignore,
        (Side::Client, false, msg::SERVICE_ACCEPT) => Route::Userauth,
        (
            Side::Client,
            false,
            msg::USERAUTH_FAILURE
            | msg::USERAUTH_SUCCESS
            | msg::USERAUTH_BANNER
            | msg::USERAUTH_PK_OK,
        ) => Route::Userauth,
        (Side::Client, true, msg::USERAUTH_BANNER) => Route::Ignore,
        (_, true, 80..=127) => Route::Connection,
        (_, _, 128..=255) => Route::Unimplemented,
        _ => Route::Refuse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per number or range: (first, last, server before, server after, client
    /// before, client after).
    #[test]
    fn table_covers_every_number() {
        use Route::{Connection as C, Ignore as I, Refuse as R, Unimplemented as U, Userauth as A};
        let rows: &[(u8, u8, Route, Route, Route, Route)] = &[
            (0, 4, R, R, R, R),
            (5, 5, A, R, R, R),   // SERVICE_REQUEST
            (6, 6, R, R, A, R),   // SERVICE_ACCEPT
            (7, 49, R, R, R, R),  // the transport's own
            (50, 50, A, I, R, R), // USERAUTH_REQUEST
            (51, 52, R, R, A, R), // FAILURE, SUCCESS
            (53, 53, R, R, A, I), // BANNER
            (54, 59, R, R, R, R),
            (60, 60, R, R, A, R), // PK_OK / PASSWD_CHANGEREQ / INFO_REQUEST
            (61, 61, A, R, R, R), // INFO_RESPONSE
            (62, 79, R, R, R, R),
            (80, 127, R, C, R, C),
            (128, 255, U, U, U, U),
        ];
        let mut covered = 0u32;
        for &(first, last, sb, sa, cb, ca) in rows {
            for n in first..=last {
                covered += 1;
                assert_eq!(route(Side::Server, false, n), sb, "server before auth, {n}");
                assert_eq!(route(Side::Server, true, n), sa, "server after auth, {n}");
                assert_eq!(route(Side::Client, false, n), cb, "client before auth, {n}");
                assert_eq!(route(Side::Client, true, n), ca, "client after auth, {n}");
            }
        }
        assert_eq!(covered, 256);
    }
}
