//! Stdio forwarding (`-W host:port`): a reader and a writer (stdin and stdout) joined to a
//! direct channel, with half-close both ways.

use std::sync::Arc;

use burrow::Session;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::ForwardError;
use crate::local::open_direct;
use crate::pump::{Origin, join};
use crate::spec::Connect;
use crate::stats::ForwardStats;

/// Opens a channel to `target` and copies `input` into it and its data to `output` until
/// both directions are done (EOF on `input` sends EOF on the channel; EOF from the channel
/// shuts `output` down). Returns (bytes sent, bytes received).
///
/// ```no_run
/// # async fn f(session: burrow::Session) -> Result<(), burrow_forward::ForwardError> {
/// use burrow_forward::{parse_stdio, stdio_forward};
/// let target = parse_stdio("db.internal:5432")?;
/// let (sent, received) = stdio_forward(&session, &target, tokio::io::stdin(), tokio::io::stdout()).await?;
/// # Ok(()) }
/// ```
pub async fn stdio_forward<R, W>(
    session: &Session,
    target: &Connect,
    input: R,
    output: W,
) -> Result<(u64, u64), ForwardError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let channel = open_direct(session, target, None).await?;
    let stats: Arc<ForwardStats> = ForwardStats::new();
    let _active = stats.connection_started();
    let local = tokio::io::join(input, output);
    Ok(join(local, channel, &stats, Origin::Stream).await?)
}
