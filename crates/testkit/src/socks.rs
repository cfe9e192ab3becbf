//! SOCKS client handshakes (RFC 1928 SOCKS5, SOCKS4 and its 4a host-name extension) for
//! testing dynamic forwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The SOCKS dialects the matrix covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socks {
    /// SOCKS5, no authentication, CONNECT to a domain name.
    V5,
    /// SOCKS4, CONNECT to an IPv4 address.
    V4,
    /// SOCKS4a, CONNECT to a host name the proxy resolves.
    V4a,
}

fn io(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("socks {what}: {e}")
}

/// Connects through the SOCKS proxy on 127.0.0.1:`proxy` to 127.0.0.1:`port` (as a name for SOCKS5 and 4a)
/// and returns the stream once the proxy reports success.
pub fn connect(proxy: u16, dialect: Socks, port: u16) -> Result<TcpStream, String> {
    let mut s = crate::targets::connect_listener(proxy).ok_or_else(|| {
        format!("socks connect 127.0.0.1:{proxy}: refused (or connected to itself)")
    })?;
    s.set_nodelay(true).unwrap_or_default();
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(io("timeout"))?;
    let p = port.to_be_bytes();
    match dialect {
        Socks::V5 => {
            s.write_all(&[5, 1, 0]).map_err(io("greeting"))?;
            let mut choice = [0u8; 2];
            s.read_exact(&mut choice).map_err(io("method"))?;
            if choice != [5, 0] {
                return Err(format!("socks5 method reply {choice:?}"));
            }
            let host = b"127.0.0.1";
            let mut req = vec![5, 1, 0, 3, host.len() as u8];
            req.extend_from_slice(host);
            req.extend_from_slice(&p);
            s.write_all(&req).map_err(io("request"))?;
            let mut head = [0u8; 4];
            s.read_exact(&mut head).map_err(io("reply"))?;
            if head[1] != 0 {
                return Err(format!("socks5 reply code {}", head[1]));
            }
            let rest = match head[3] {
                1 => 4 + 2,
                4 => 16 + 2,
                3 => {
                    let mut n = [0u8; 1];
                    s.read_exact(&mut n).map_err(io("reply"))?;
                    usize::from(n[0]) + 2
                }
                t => return Err(format!("socks5 reply address type {t}")),
            };
            let mut skip = vec![0u8; rest];
            s.read_exact(&mut skip).map_err(io("reply"))?;
        }
        Socks::V4 | Socks::V4a => {
            let mut req = vec![4, 1, p[0], p[1]];
            if dialect == Socks::V4 {
                req.extend_from_slice(&[127, 0, 0, 1]);
                req.extend_from_slice(b"burrow\0");
            } else {
                req.extend_from_slice(&[0, 0, 0, 1]);
                req.extend_from_slice(b"burrow\x00127.0.0.1\0");
            }
            s.write_all(&req).map_err(io("request"))?;
            let mut reply = [0u8; 8];
            s.read_exact(&mut reply).map_err(io("reply"))?;
            if reply[1] != 90 {
                return Err(format!("socks4 reply code {}", reply[1]));
            }
        }
    }
    s.set_read_timeout(None).map_err(io("timeout"))?;
    Ok(s)
}
