//! OpenSSH pattern lists (`match.c`): `*` and `?` wildcards, comma-separated lists with `!`
//! negation, as used by known_hosts host fields and authorized_keys `from=`.

/// The three outcomes of matching a pattern list, as OpenSSH's `match_pattern_list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMatch {
    /// A negated pattern (`!pat`) matched: the list refuses the value.
    Negated,
    /// No pattern matched.
    None,
    /// A positive pattern matched and no negated one did.
    Matched,
}

/// Matches `value` against one pattern: `*` is any run of characters (also none), `?` any
/// single character, everything else itself, ASCII case-insensitively (as OpenSSH matches host
/// names and user names). Runs in O(len(pattern) × len(value)) at worst, so hostile patterns
/// cannot blow up.
pub fn match_pattern(pattern: &str, value: &str) -> bool {
    match_bytes(pattern.as_bytes(), value.as_bytes(), |p, v| {
        p.eq_ignore_ascii_case(&v)
    })
}

/// [`match_pattern`], but case-sensitive: OpenSSH's `match_pattern` itself, as it matches
/// algorithm names in `Ciphers`, `KexAlgorithms` and `MACs` lists.
pub fn match_pattern_exact(pattern: &str, value: &str) -> bool {
    match_bytes(pattern.as_bytes(), value.as_bytes(), |p, v| p == v)
}

/// The wildcard matcher behind both: `same` compares one pattern byte with one value byte.
fn match_bytes(p: &[u8], v: &[u8], same: impl Fn(u8, u8) -> bool) -> bool {
    let (mut pi, mut vi) = (0usize, 0usize);
    // Where to resume after the last `*`: the pattern index after it, and the value index
    // it currently covers up to.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match (p.get(pi), v.get(vi)) {
            (Some(b'*'), _) => {
                star = Some((pi + 1, vi));
                pi += 1;
            }
            (Some(&pc), Some(&vc)) if pc == b'?' || same(pc, vc) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    // Let the last `*` swallow one more character and retry.
                    pi = sp;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Matches `value` against a comma-separated list of patterns, each optionally negated by
/// a leading `!`. A matching negated pattern wins over everything.
pub fn match_pattern_list_detailed(list: &str, value: &str) -> ListMatch {
    let mut result = ListMatch::None;
    for item in list.split(',') {
        let (negated, pattern) = match item.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, item),
        };
        if match_pattern(pattern, value) {
            if negated {
                return ListMatch::Negated;
            }
            result = ListMatch::Matched;
        }
    }
    result
}

/// True when a positive pattern of `list` matches `value` and no negated one does
/// (OpenSSH semantics: `match_pattern_list(...) == 1`).
pub fn match_pattern_list(list: &str, value: &str) -> bool {
    match_pattern_list_detailed(list, value) == ListMatch::Matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_case_insensitive() {
        assert!(match_pattern("example.com", "example.com"));
        assert!(match_pattern("Example.COM", "example.com"));
        assert!(!match_pattern("example.com", "example.co"));
        assert!(!match_pattern("example.co", "example.com"));
    }

    #[test]
    fn star_matches_any_run_including_empty() {
        assert!(match_pattern("*", ""));
        assert!(match_pattern("*", "anything"));
        assert!(match_pattern("*.example.com", "a.b.example.com"));
        assert!(!match_pattern("*.example.com", "example.com"));
        assert!(match_pattern("a*b*c", "abc"));
        assert!(match_pattern("a*b*c", "axxbyyc"));
        assert!(!match_pattern("a*b*c", "axxbyy"));
        assert!(match_pattern("192.168.*", "192.168.1.7"));
    }

    #[test]
    fn exact_matching_is_case_sensitive() {
        assert!(match_pattern_exact("aes*-ctr", "aes128-ctr"));
        assert!(!match_pattern_exact("AES*", "aes128-ctr"));
        assert!(match_pattern("AES*", "aes128-ctr"));
    }

    #[test]
    fn question_mark_matches_one_character() {
        assert!(match_pattern("host?", "host1"));
        assert!(!match_pattern("host?", "host"));
        assert!(!match_pattern("host?", "host12"));
        assert!(match_pattern("h??t", "host"));
    }

    #[test]
    fn backtracking_is_bounded_on_hostile_patterns() {
        let pattern = "*a".repeat(50) + "b";
        let value = "a".repeat(2000);
        assert!(!match_pattern(&pattern, &value));
    }

    #[test]
    fn empty_pattern_matches_only_empty() {
        assert!(match_pattern("", ""));
        assert!(!match_pattern("", "a"));
    }

    #[test]
    fn negation_wins_in_lists() {
        let list = "*.example.com,!bad.example.com";
        assert!(match_pattern_list(list, "good.example.com"));
        assert!(!match_pattern_list(list, "bad.example.com"));
        assert_eq!(
            match_pattern_list_detailed(list, "bad.example.com"),
            ListMatch::Negated
        );
        assert_eq!(
            match_pattern_list_detailed(list, "other.org"),
            ListMatch::None
        );
        // Order does not matter.
        assert!(!match_pattern_list("!bad.example.com,*", "bad.example.com"));
    }

    #[test]
    fn only_negated_patterns_never_match() {
        assert!(!match_pattern_list("!a", "b"));
        assert!(!match_pattern_list("!a", "a"));
    }
}
