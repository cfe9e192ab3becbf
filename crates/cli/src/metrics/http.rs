//! A minimal HTTP/1.1 responder for the metrics page: `GET /metrics` gets the OpenMetrics
//! text, any other path 404 and any other method 405; one request per connection, its head
//! bounded in size and time, and a bounded number of connections at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::book::Metrics;
use super::encode::render;

/// Longest request head read (request line and headers).
const MAX_HEAD: usize = 8 << 10;
/// Time a client has to send its request head and take the answer.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Scrapes answered at once; more connections are closed at once.
const MAX_CONNECTIONS: usize = 16;

/// The OpenMetrics media type.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Answers scrapes on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!("metrics accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!("metrics: too many scrapes at once; closed the one from {peer}");
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tokio::time::timeout(TIMEOUT, answer(stream, &metrics)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!("metrics request from {peer}: {e}"),
                Err(_) => tracing::debug!("metrics request from {peer}: timed out"),
            }
        });
    }
}

/// Reads one request head and writes the answer.
async fn answer(mut stream: TcpStream, metrics: &Arc<Metrics>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return respond(&mut stream, "431 Request Header Fields Too Large", "").await;
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    match (method, path) {
        (b"GET", b"/metrics") => {
            let page = render(metrics);
            respond(&mut stream, "200 OK", &page).await
        }
        (b"GET", _) => respond(&mut stream, "404 Not Found", "not found: try /metrics\n").await,
        _ => respond(&mut stream, "405 Method Not Allowed", "").await,
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    let kind = if status.starts_with("200") {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `request` to a fresh responder and returns the status line and the body.
    async fn ask(request: &[u8]) -> (String, String) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| unreachable!("{e}"));
        let server = tokio::spawn(serve(listener, Metrics::new()));
        let mut c = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        // The responder may answer and close before all of an oversized head is written.
        let _sent = c.write_all(request).await;
        let mut answer = Vec::new();
        let _read = c.read_to_end(&mut answer).await;
        server.abort();
        let text = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (
            head.lines().next().unwrap_or("").to_owned(),
            body.to_owned(),
        )
    }

    #[tokio::test]
    async fn only_get_metrics_is_answered_and_heads_are_bounded() {
        let (status, body) = ask(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(
            body.contains("burrow_connection_up 0\n") && body.ends_with("# EOF\n"),
            "{body}"
        );
        let (status, _) = ask(b"GET / HTTP/1.1\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        let (status, _) = ask(b"POST /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
        let mut huge = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
        huge.resize(MAX_HEAD + 2048, b'a');
        let (status, _) = ask(&huge).await;
        assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
    }
}
