//! Feeds arbitrary bytes, cut at arbitrary points, into the SOCKS server negotiation: nothing
//! may panic, the outcome and reply bytes must not depend on where the input was cut, replies
//! stay small, and leftover bytes are exactly what followed the request.
#![no_main]

use burrow_forward::socks::{SocksReply, SocksServer, Step};
use libfuzzer_sys::fuzz_target;

/// The outcome of one negotiation: the step or error text, all bytes sent back, and how
/// many input bytes had been fed when it ended.
fn run(data: &[u8], cuts: &[usize]) -> (Option<Result<Step, String>>, Vec<u8>, usize) {
    let mut server = SocksServer::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&data.len())) {
        let end = end.clamp(start, data.len());
        match server.feed(&data[start..end], &mut out) {
            Ok(Step::NeedMore) => start = end,
            other => return (Some(other.map_err(|e| e.to_string())), out, end),
        }
    }
    (None, out, data.len())
}

fuzz_target!(|input: &[u8]| {
    // The first byte says how many cut points follow (each one byte, as offsets).
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (cut_bytes, data) = rest.split_at(n);
    let mut cuts: Vec<usize> = cut_bytes.iter().map(|&c| usize::from(c)).collect();
    cuts.sort_unstable();

    let (whole, whole_out, _) = run(data, &[]);
    let (split, split_out, fed) = run(data, &cuts);
    assert_eq!(whole_out, split_out, "replies depend on the cuts");
    assert!(whole_out.len() <= 12, "reply too long: {}", whole_out.len());
    match (&whole, &split) {
        (
            Some(Ok(Step::Request { request, leftover })),
            Some(Ok(Step::Request {
                request: r2,
                leftover: l2,
            })),
        ) => {
            assert_eq!(request, r2);
            assert!(data.ends_with(leftover));
            assert!(data[..fed].ends_with(l2));
            assert!(leftover.starts_with(l2));
            let consumed = data.len() - leftover.len();
            assert!(consumed <= 8 + 256 + 256 + 2 + 255 + 4 + 1 + 255 + 2);
            for reply in [SocksReply::Succeeded, SocksReply::HostUnreachable] {
                let bytes = request.reply(reply);
                assert!(bytes.len() == 8 || bytes.len() == 10);
            }
            assert!(!request.host().is_empty());
        }
        (Some(Err(a)), Some(Err(b))) => assert_eq!(a, b),
        (None, None) => {}
        _ => panic!("outcome depends on the cuts: {whole:?} vs {split:?}"),
    }
});
