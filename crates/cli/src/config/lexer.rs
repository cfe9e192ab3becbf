//! Splits one configuration line into a lowercased keyword and its arguments, as OpenSSH's
//! `strdelim` and `argv_split` do: `Key Value` or `Key=Value`, quotes, `#` comments.

/// One non-empty configuration line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The keyword as written (for messages).
    pub keyword: String,
    /// The keyword in lowercase (for matching).
    pub key: String,
    /// The arguments after the keyword, with quotes removed.
    pub args: Vec<String>,
    /// The text after the keyword (and `=`) as written, for the keywords that take the rest
    /// of the line verbatim (ProxyCommand).
    pub rest: String,
}

/// Why a line could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexError {
    /// A keyword with nothing after it.
    MissingArgument,
    /// An unterminated quote.
    InvalidQuotes,
}

/// Splits `line`. `Ok(None)` for blank lines and comments; `Err((keyword, error))`.
pub fn split_line(line: &str) -> Result<Option<Directive>, (String, LexError)> {
    let line = line.trim_start_matches(is_space);
    let line = line.trim_end_matches(|c: char| is_space(c) || c == '\r' || c == '\n');
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| is_space(c) || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start_matches(is_space);
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    let rest = rest.trim_start_matches(is_space);
    if keyword.is_empty() {
        return Ok(None);
    }
    if rest.is_empty() {
        return Err((keyword.to_owned(), LexError::MissingArgument));
    }
    let args = split_args(rest).map_err(|e| (keyword.to_owned(), e))?;
    Ok(Some(Directive {
        keyword: keyword.to_owned(),
        key: keyword.to_ascii_lowercase(),
        args,
        rest: rest.to_owned(),
    }))
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits arguments on spaces and tabs. Double or single quotes group, a backslash escapes a
/// quote, a backslash or a space, and an unquoted `#` at the start of an argument ends the line.
fn split_args(s: &str) -> Result<Vec<String>, LexError> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_arg = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if is_space(c) => {
                if in_arg {
                    args.push(core::mem::take(&mut cur));
                    in_arg = false;
                }
            }
            (None, '#') if !in_arg => break,
            (_, '\\') => match chars.peek() {
                Some(&n) if n == '\\' || n == '"' || n == '\'' || (quote.is_none() && n == ' ') => {
                    cur.push(n);
                    chars.next();
                    in_arg = true;
                }
                _ => {
                    cur.push('\\');
                    in_arg = true;
                }
            },
            (None, q @ ('"' | '\'')) => {
                quote = Some(q);
                in_arg = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, c) => {
                cur.push(c);
                in_arg = true;
            }
        }
    }
    if quote.is_some() {
        return Err(LexError::InvalidQuotes);
    }
    if in_arg {
        args.push(cur);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        split_line(line).unwrap().unwrap().args
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        assert_eq!(split_line("").unwrap(), None);
        assert_eq!(split_line("   \t ").unwrap(), None);
        assert_eq!(split_line("  # Port 22").unwrap(), None);
    }

    #[test]
    fn key_value_and_key_equals_value_forms() {
        let d = split_line("  Port 2222\r\n").unwrap().unwrap();
        assert_eq!(
            (d.key.as_str(), d.args.clone()),
            ("port", vec!["2222".into()])
        );
        let d = split_line("PORT=2222").unwrap().unwrap();
        assert_eq!((d.key.as_str(), d.keyword.as_str()), ("port", "PORT"));
        assert_eq!(d.args, ["2222"]);
        assert_eq!(args("Port = 2222"), ["2222"]);
        assert_eq!(args("Port\t=\t2222"), ["2222"]);
    }

    #[test]
    fn quotes_group_and_comments_end_the_line() {
        assert_eq!(args("IdentityFile \"~/my key\" b # c"), ["~/my key", "b"]);
        assert_eq!(args("X 'a \"b' c"), ["a \"b", "c"]);
        assert_eq!(args("X a#b"), ["a#b"]);
        assert_eq!(args("X a\\ b"), ["a b"]);
        assert_eq!(args("X \"\""), [""]);
    }

    #[test]
    fn unterminated_quote_and_missing_argument_are_errors() {
        assert_eq!(
            split_line("X \"abc").unwrap_err(),
            ("X".to_owned(), LexError::InvalidQuotes)
        );
        assert_eq!(
            split_line("Port").unwrap_err(),
            ("Port".to_owned(), LexError::MissingArgument)
        );
        assert_eq!(
            split_line("Port = ").unwrap_err(),
            ("Port".to_owned(), LexError::MissingArgument)
        );
    }
}
