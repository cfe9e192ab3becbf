//! burrow: async SSH-2 client and server sessions on tokio. It glues the sans-IO
//! transport, userauth and connection crates to sockets and exposes channels as streams.
#![forbid(unsafe_code)]
