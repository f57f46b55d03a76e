//! A client's bytes made safe for the error log: when a cookie value is rejected (no ID shape,
//! a forged tag) it is logged at `LogLevel info` so the admin can see what arrived.
//!
//! The value is the client's choice, so it may hold newlines (forged log lines), escape
//! sequences for the admin's terminal, or megabytes. Printable ASCII is kept, `\` and `"`
//! are escaped so that the text can be quoted unambiguously, every other byte becomes `\xHH`
//! (lower-case, as httpd's own `ap_escape_logitem`), and only the first `max_bytes` bytes are
//! shown, followed by the full length.

use std::fmt::Write as _;

/// The escaped text of `value`'s first `max_bytes` bytes; if it is longer, `...(N bytes)`
/// follows, N being the whole length. The marker is ASCII so that the log line is too.
pub fn escape_for_log(value: &[u8], max_bytes: usize) -> String {
    let shown = &value[..value.len().min(max_bytes)];
    let mut text = String::with_capacity(shown.len() + 24);
    for &byte in shown {
        match byte {
            b'\\' => text.push_str("\\\\"),
            b'"' => text.push_str("\\\""),
            b' '..=b'~' => text.push(char::from(byte)),
            _ => write!(text, "\\x{byte:02x}").expect("writing to a String does not fail"),
        }
    }
    if value.len() > max_bytes {
        write!(text, "...({} bytes)", value.len()).expect("writing to a String does not fail");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn printable_ascii_is_kept() {
        assert_eq!(escape_for_log(b"d2e9002.660d2e900a927", 100), "d2e9002.660d2e900a927");
        assert_eq!(escape_for_log(b"a b~{}';", 100), "a b~{}';");
        assert_eq!(escape_for_log(b"", 100), "");
    }

    #[test]
    fn quote_and_backslash_are_escaped() {
        assert_eq!(escape_for_log(br#"say "hi"\n"#, 100), r#"say \"hi\"\\n"#);
    }

    #[test]
    fn other_bytes_are_hex() {
        assert_eq!(escape_for_log(b"a\nb\r\t\x00\x1b[31m\x7f", 100), "a\\x0ab\\x0d\\x09\\x00\\x1b[31m\\x7f");
        assert_eq!(escape_for_log("é".as_bytes(), 100), "\\xc3\\xa9");
        assert_eq!(escape_for_log(&[0xff], 100), "\\xff");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = vec![b'a'; 7000];
        assert_eq!(escape_for_log(&long, 10), "aaaaaaaaaa...(7000 bytes)");
        assert_eq!(escape_for_log(b"abc", 3), "abc");
        assert_eq!(escape_for_log(b"abcd", 3), "abc...(4 bytes)");
        assert_eq!(escape_for_log(b"abc", 0), "...(3 bytes)");
        // The cut counts input bytes, not output characters.
        assert_eq!(escape_for_log(b"\x01\x02\x03", 2), "\\x01\\x02...(3 bytes)");
    }

    proptest! {
        #[test]
        fn output_is_printable_ascii_and_bounded(value in proptest::collection::vec(any::<u8>(), 0..300), max in 0usize..200) {
            let text = escape_for_log(&value, max);
            prop_assert!(text.bytes().all(|b| (b' '..=b'~').contains(&b)), "{}", text);
            prop_assert!(text.len() <= 4 * max.min(value.len()) + 24);
        }

        /// Every `"` in the output is escaped, so the text can sit between quotes.
        #[test]
        fn quotes_never_appear_unescaped(value in proptest::collection::vec(any::<u8>(), 0..100)) {
            let text = escape_for_log(&value, 100);
            let mut escaped = false;
            for c in text.chars() {
                prop_assert!(c != '"' || escaped);
                escaped = !escaped && c == '\\';
            }
        }
    }
}
