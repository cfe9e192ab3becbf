//! burrowd as root: the counters line a connection process sends the listener
//! (`R<user>\t<json>\n`, after the login byte), and the listener's reading of that pipe.

use super::book::Snapshot;

/// Longest counters line the listener takes from a connection process.
pub const MAX_REPORT_LINE: usize = 128 * 1024;

/// The line for `user`'s counters `json`, or `None` if either would not stay one line.
pub fn report_line(user: &str, json: &str) -> Option<String> {
    let one_line = !json.contains('\n') && !user.contains(['\t', '\n']);
    one_line.then(|| format!("R{user}\t{json}\n"))
}

/// The listener's reading of a connection process's pipe: the login byte, then lines.
#[derive(Debug)]
pub struct Reports {
    login: u8,
    logged_in: bool,
    pending: Vec<u8>,
}

impl Reports {
    /// Lines count once the byte `login` was seen.
    pub fn after(login: u8) -> Self {
        Self {
            login,
            logged_in: false,
            pending: Vec::new(),
        }
    }

    /// Takes bytes from the pipe; each complete, well-formed counters line goes to `report`
    /// (anything else is dropped: the line comes from a process run as the user).
    pub fn feed(&mut self, mut got: &[u8], mut report: impl FnMut(&str, Snapshot)) {
        if !self.logged_in {
            let Some(at) = got.iter().position(|&b| b == self.login) else {
                return;
            };
            self.logged_in = true;
            got = got.get(at + 1..).unwrap_or_default();
        }
        self.pending.extend_from_slice(got);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let parsed = std::str::from_utf8(&line).ok().and_then(|l| {
                let (user, json) = l.strip_prefix('R')?.trim_end().split_once('\t')?;
                Some((user, serde_json::from_str::<Snapshot>(json).ok()?))
            });
            match parsed {
                Some((user, snapshot)) => report(user, snapshot),
                None => tracing::debug!("bad counters line from a connection process"),
            }
        }
        if self.pending.len() > MAX_REPORT_LINE {
            self.pending.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(chunks: &[&[u8]]) -> Vec<(String, Snapshot)> {
        let mut r = Reports::after(b'A');
        let mut got = Vec::new();
        for c in chunks {
            r.feed(c, |u, s| got.push((u.to_owned(), s)));
        }
        got
    }

    #[test]
    fn lines_after_the_login_byte_are_read_across_reads() {
        let snap = Snapshot {
            reconnects: 7,
            ..Snapshot::default()
        };
        let json = serde_json::to_string(&snap).unwrap_or_default();
        let line = report_line("alice", &json).unwrap_or_default();
        let (a, b) = line.as_bytes().split_at(10);
        // A line before the login byte is ignored; one split over two reads is whole.
        let early = report_line("eve", &json).unwrap_or_default();
        let got = feed_all(&[early.as_bytes(), b"A", a, b]);
        assert_eq!(got, [("alice".to_owned(), snap)]);
    }

    #[test]
    fn bad_lines_are_dropped_and_the_next_good_one_still_counts() {
        let json = serde_json::to_string(&Snapshot::default()).unwrap_or_default();
        let good = report_line("bob", &json).unwrap_or_default();
        let long = vec![b'x'; MAX_REPORT_LINE + 10];
        let chunks: [&[u8]; 5] = [b"A", b"Rbob\t{not json}\n", b"no tab\n", &long, b"\n"];
        assert!(feed_all(&chunks).is_empty());
        let mut with_good = chunks.to_vec();
        with_good.push(good.as_bytes());
        assert_eq!(feed_all(&with_good).len(), 1);
        assert_eq!(report_line("a\tb", "{}"), None);
        assert_eq!(report_line("a", "{\n}"), None);
    }
}
