//! One test per transition of `ChannelState`, and one per protocol error it reports.

use super::*;

const ID: LocalChannelId = LocalChannelId(5);

fn open() -> ChannelState {
    ChannelState::Open {
        eof_sent: false,
        eof_rcvd: false,
    }
}

fn closing_sent() -> ChannelState {
    ChannelState::Closing {
        close_sent: true,
        close_rcvd: false,
        eof_rcvd: false,
    }
}

fn closed_by_peer() -> ChannelState {
    ChannelState::Closing {
        close_sent: false,
        close_rcvd: true,
        eof_rcvd: false,
    }
}

#[test]
fn confirmation_opens_an_opening_channel() {
    let mut s = ChannelState::Opening { abandoned: false };
    assert_eq!(s.on_confirmation(ID), Ok(false));
    assert_eq!(s, open());
}

#[test]
fn confirmation_of_abandoned_open_sends_close() {
    let mut s = ChannelState::Opening { abandoned: true };
    assert_eq!(s.on_confirmation(ID), Ok(true));
    assert_eq!(s, closing_sent());
}

#[test]
fn confirmation_of_open_channel_is_unexpected() {
    let mut s = open();
    assert_eq!(
        s.on_confirmation(ID),
        Err(Error::UnexpectedMessage {
            channel: ID,
            message: msg::CHANNEL_OPEN_CONFIRMATION,
            state: "open"
        })
    );
}

#[test]
fn open_failure_only_while_opening() {
    assert!(
        ChannelState::Opening { abandoned: false }
            .on_open_failure(ID)
            .is_ok()
    );
    assert!(matches!(
        open().on_open_failure(ID),
        Err(Error::UnexpectedMessage { .. })
    ));
    assert!(matches!(
        ChannelState::Offered.on_open_failure(ID),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn data_on_open_channel_is_buffered() {
    assert_eq!(
        open().on_peer_data(ID, msg::CHANNEL_DATA),
        Ok(DataFate::Buffer)
    );
}

#[test]
fn data_after_our_close_is_discarded() {
    assert_eq!(
        closing_sent().on_peer_data(ID, msg::CHANNEL_DATA),
        Ok(DataFate::Discard)
    );
}

#[test]
fn data_after_eof_is_protocol_error() {
    let s = ChannelState::Open {
        eof_sent: false,
        eof_rcvd: true,
    };
    assert_eq!(
        s.on_peer_data(ID, msg::CHANNEL_DATA),
        Err(Error::DataAfterEof { channel: ID })
    );
    let s = ChannelState::Closing {
        close_sent: true,
        close_rcvd: false,
        eof_rcvd: true,
    };
    assert_eq!(
        s.on_peer_data(ID, msg::CHANNEL_EXTENDED_DATA),
        Err(Error::DataAfterEof { channel: ID })
    );
}

#[test]
fn data_after_peer_close_is_protocol_error() {
    assert_eq!(
        closed_by_peer().on_peer_data(ID, msg::CHANNEL_DATA),
        Err(Error::MessageAfterClose {
            channel: ID,
            message: msg::CHANNEL_DATA
        })
    );
}

#[test]
fn data_before_open_completes_is_unexpected() {
    assert!(matches!(
        ChannelState::Opening { abandoned: false }.on_peer_data(ID, msg::CHANNEL_DATA),
        Err(Error::UnexpectedMessage { .. })
    ));
    assert!(matches!(
        ChannelState::Offered.on_peer_data(ID, msg::CHANNEL_DATA),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn peer_eof_marks_eof_received() {
    let mut s = open();
    s.on_peer_eof(ID).unwrap();
    assert!(s.peer_finished());
    assert_eq!(
        s,
        ChannelState::Open {
            eof_sent: false,
            eof_rcvd: true
        }
    );
}

#[test]
fn second_eof_is_protocol_error() {
    let mut s = open();
    s.on_peer_eof(ID).unwrap();
    assert_eq!(s.on_peer_eof(ID), Err(Error::SecondEof { channel: ID }));
}

#[test]
fn eof_after_our_close_is_recorded() {
    let mut s = closing_sent();
    s.on_peer_eof(ID).unwrap();
    assert!(s.peer_finished());
}

#[test]
fn eof_after_peer_close_is_protocol_error() {
    assert_eq!(
        closed_by_peer().on_peer_eof(ID),
        Err(Error::MessageAfterClose {
            channel: ID,
            message: msg::CHANNEL_EOF
        })
    );
}

#[test]
fn peer_close_on_open_channel_keeps_it() {
    let mut s = ChannelState::Open {
        eof_sent: true,
        eof_rcvd: true,
    };
    assert_eq!(s.on_peer_close(ID), Ok(PeerCloseFate::Keep));
    assert_eq!(
        s,
        ChannelState::Closing {
            close_sent: false,
            close_rcvd: true,
            eof_rcvd: true
        }
    );
    assert!(!s.can_send_messages());
}

#[test]
fn peer_close_after_ours_frees() {
    let mut s = closing_sent();
    assert_eq!(s.on_peer_close(ID), Ok(PeerCloseFate::Free));
}

#[test]
fn second_close_is_protocol_error() {
    let mut s = closed_by_peer();
    assert_eq!(s.on_peer_close(ID), Err(Error::SecondClose { channel: ID }));
}

#[test]
fn close_before_open_completes_is_unexpected() {
    let mut s = ChannelState::Opening { abandoned: false };
    assert!(matches!(
        s.on_peer_close(ID),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn messages_after_our_close_are_ignored() {
    assert_eq!(
        closing_sent().check_peer_message(ID, msg::CHANNEL_REQUEST),
        Ok(false)
    );
    assert_eq!(
        open().check_peer_message(ID, msg::CHANNEL_REQUEST),
        Ok(true)
    );
}

#[test]
fn accept_opens_an_offered_channel() {
    let mut s = ChannelState::Offered;
    s.accept(ID).unwrap();
    assert_eq!(s, open());
    assert!(matches!(
        s.accept(ID),
        Err(Error::ChannelStateMismatch { .. })
    ));
}

#[test]
fn reject_only_offered_channels() {
    assert!(ChannelState::Offered.reject(ID).is_ok());
    assert!(open().reject(ID).is_err());
}

#[test]
fn local_eof_is_sent_once() {
    let mut s = open();
    assert_eq!(s.on_local_eof(ID), Ok(true));
    assert!(!s.can_send_data());
    assert_eq!(s.on_local_eof(ID), Ok(false));
    assert_eq!(closing_sent().on_local_eof(ID), Ok(false));
    assert!(ChannelState::Offered.on_local_eof(ID).is_err());
}

#[test]
fn local_close_on_open_sends_and_keeps() {
    let mut s = open();
    assert_eq!(s.on_local_close(ID), Ok(LocalCloseAction::SendAndKeep));
    assert_eq!(s, closing_sent());
    assert_eq!(s.on_local_close(ID), Ok(LocalCloseAction::Nothing));
}

#[test]
fn local_close_after_peer_close_frees() {
    let mut s = closed_by_peer();
    assert_eq!(s.on_local_close(ID), Ok(LocalCloseAction::SendAndFree));
}

#[test]
fn local_close_while_opening_is_deferred() {
    let mut s = ChannelState::Opening { abandoned: false };
    assert_eq!(s.on_local_close(ID), Ok(LocalCloseAction::Deferred));
    assert_eq!(s, ChannelState::Opening { abandoned: true });
}

#[test]
fn local_close_of_offered_channel_is_refused() {
    let mut s = ChannelState::Offered;
    assert!(matches!(
        s.on_local_close(ID),
        Err(Error::ChannelStateMismatch { .. })
    ));
}

#[test]
fn state_names_are_lowercase() {
    for s in [
        ChannelState::Opening { abandoned: false },
        ChannelState::Offered,
        open(),
        closing_sent(),
        closed_by_peer(),
    ] {
        assert_eq!(s.name(), s.name().to_lowercase());
    }
}
