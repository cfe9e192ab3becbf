//! A blocking connection to a real `ssh-agent` (the test kit's) speaking burrow's agent codec.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use burrow::agent::codec::{self as agent, AgentProtocolError, AgentReply, AgentRequestKind};
use bytes::BytesMut;

/// A connected ssh-agent socket speaking burrow's agent codec.
pub struct AgentConn(UnixStream);

impl AgentConn {
    pub fn call(
        &mut self,
        request: &[u8],
        kind: AgentRequestKind,
    ) -> Result<AgentReply, AgentProtocolError> {
        self.0.write_all(request).unwrap();
        let mut input = BytesMut::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(body) = agent::take_frame(&mut input)? {
                return agent::decode_reply(&body, kind);
            }
            let n = self.0.read(&mut buf).unwrap();
            assert!(n > 0, "agent closed the socket");
            input.extend_from_slice(&buf[..n]);
        }
    }
}

pub use burrow_testkit::agent::SshAgent;

/// Opens a connection to `agent` for [`AgentConn::call`].
pub fn connect(agent: &SshAgent) -> AgentConn {
    AgentConn(UnixStream::connect(agent.sock()).expect("connect to agent"))
}
