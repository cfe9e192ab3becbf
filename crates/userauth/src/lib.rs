//! burrow-userauth: sans-IO client and server state machines for SSH-2 user
//! authentication (RFC 4252): none, publickey, password and keyboard-interactive.
#![forbid(unsafe_code)]
