//! A client's bytes for the error log: when a cookie value is rejected (no ID shape, a forged
//! tag) it is logged at `LogLevel info` so the admin can see what arrived.
//!
//! The value is the client's choice, so it may hold newlines (forged log lines), escape
//! sequences for the admin's terminal, or megabytes. httpd's error log escapes every message it
//! writes (`ap_escape_errorlog_item`: `\`, `"`, control characters and bytes from 0x80 become
//! `\\`, `\"` and `\xHH`), so escaping here too would double every backslash. What is left to
//! do here is the bound: only the first `max_bytes` bytes are shown, followed by the full length.

/// `value`'s first `max_bytes` bytes; if it is longer, `...(N bytes)` follows, N being the whole
/// length. The bytes are the client's, unescaped: they go to httpd's error log, which escapes.
pub fn bounded_for_log(value: &[u8], max_bytes: usize) -> Vec<u8> {
    let shown = &value[..value.len().min(max_bytes)];
    let mut text = shown.to_vec();
    if value.len() > max_bytes {
        text.extend_from_slice(format!("...({} bytes)", value.len()).as_bytes());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_values_are_kept_as_they_are() {
        assert_eq!(bounded_for_log(b"d2e9002.660d2e900a927", 100), b"d2e9002.660d2e900a927");
        assert_eq!(bounded_for_log(b"a\"b\\c\n\xff", 100), b"a\"b\\c\n\xff");
        assert_eq!(bounded_for_log(b"", 100), b"");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = vec![b'a'; 7000];
        assert_eq!(bounded_for_log(&long, 10), b"aaaaaaaaaa...(7000 bytes)");
        assert_eq!(bounded_for_log(b"abc", 3), b"abc");
        assert_eq!(bounded_for_log(b"abcd", 3), b"abc...(4 bytes)");
        assert_eq!(bounded_for_log(b"abc", 0), b"...(3 bytes)");
    }

    proptest! {
        #[test]
        fn output_is_bounded_and_starts_with_the_value(value in proptest::collection::vec(any::<u8>(), 0..300), max in 0usize..200) {
            let text = bounded_for_log(&value, max);
            prop_assert!(text.len() <= max.min(value.len()) + 24);
            prop_assert!(text.starts_with(&value[..value.len().min(max)]));
        }
    }
}
