//! The integrity check for async streams (tokio): data both ways through an echo, with
//! half-close, for tests that drive burrow's sessions and channels in-process.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Writes `data`, half-closes, reads everything back from an echo and checks it came back
/// intact; panics on a difference or after 30 s.
pub async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(s: S, data: &[u8]) {
    let (mut r, mut w) = tokio::io::split(s);
    let send = async {
        w.write_all(data).await.expect("write");
        w.shutdown().await.expect("half-close");
    };
    let recv = async {
        let mut back = Vec::new();
        r.read_to_end(&mut back).await.expect("read back");
        back
    };
    let ((), back) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(send, recv) })
            .await
            .expect("round trip timed out");
    assert_eq!(back.len(), data.len());
    assert!(back == data, "data corrupted");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_through_the_echo_target() {
        let port = crate::targets::echo_tcp();
        let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        round_trip(s, &crate::targets::pattern(200_000, 4)).await;
    }
}
