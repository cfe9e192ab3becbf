//! burrow-forward: local (-L), remote (-R), dynamic (-D, SOCKS) and stdio (-W)
//! forwarding, unix-socket forwarding, and the server-side forwarding policy.
#![forbid(unsafe_code)]
