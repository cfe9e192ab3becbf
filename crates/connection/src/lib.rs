//! burrow-connection: the sans-IO SSH-2 connection protocol (RFC 4254): the channel
//! table, window accounting, global requests and channel requests.
#![forbid(unsafe_code)]
