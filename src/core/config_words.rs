//! Splits a directive argument into words the way httpd's `ap_getword_conf` does, so
//! `CookieExpires "'2 weeks' 3 days"`-style quoting behaves as in the stock module.

fn is_space(byte: u8) -> bool {
    byte.is_ascii_whitespace() || byte == 0x0b
}

/// Copies `raw`, dropping the backslash of `\\` and, inside quotes, of `\<quote>`.
fn unescape(raw: &[u8], quote: Option<u8>) -> Vec<u8> {
    let mut word = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let next = raw.get(i + 1).copied();
        if raw[i] == b'\\' && (next == Some(b'\\') || (quote.is_some() && next == quote)) {
            i += 1;
        }
        word.push(raw[i]);
        i += 1;
    }
    word
}

/// The words of `line`, quotes (`"` or `'`) grouping and removed.
pub fn config_words(line: &[u8]) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut at = 0;
    loop {
        while at < line.len() && is_space(line[at]) {
            at += 1;
        }
        if at >= line.len() {
            return words;
        }
        let quote = line[at];
        if quote == b'"' || quote == b'\'' {
            let start = at + 1;
            let mut end = start;
            while end < line.len() && line[end] != quote {
                let escaped = line[end] == b'\\'
                    && matches!(line.get(end + 1), Some(&b) if b == quote || b == b'\\');
                end += if escaped { 2 } else { 1 };
            }
            let end = end.min(line.len());
            words.push(unescape(&line[start..end], Some(quote)));
            at = (end + 1).min(line.len());
        } else {
            let start = at;
            while at < line.len() && !is_space(line[at]) {
                at += 1;
            }
            words.push(unescape(&line[start..at], None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::config_words;

    fn words(line: &str) -> Vec<String> {
        config_words(line.as_bytes()).into_iter().map(|w| String::from_utf8(w).unwrap()).collect()
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(words("  2 weeks\t3 days "), ["2", "weeks", "3", "days"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn quotes_group_and_unescape() {
        assert_eq!(words("'2 weeks' x"), ["2 weeks", "x"]);
        assert_eq!(words(r#""a \" b" c"#), ["a \" b", "c"]);
        assert_eq!(words(r"a\\b"), [r"a\b"]);
        assert_eq!(words("\"unterminated word"), ["unterminated word"]);
    }
}
