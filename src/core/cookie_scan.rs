//! Finds the tracking cookie in a `Cookie` request header.
//!
//! Stock mod_usertrack matches the regex `^NAME=([^;,]+)|[;,][ \t]*NAME=([^;,]+)` (NAME taken
//! literally) and keeps the leftmost match. This scanner gives the same answer for every input in
//! one forward pass: it only stops at the header start and at `;`/`,` separators (found with
//! `memchr2`, which skips over cookie values many bytes at a time), never re-reads a byte range,
//! and allocates nothing.

use memchr::memchr2;

fn is_separator(byte: u8) -> bool {
    byte == b';' || byte == b','
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// The value of `name=value` starting at `at`, if the header has `name=` there followed by at
/// least one byte other than `;` and `,`.
fn value_at<'h>(header: &'h [u8], at: usize, name: &[u8]) -> Option<&'h [u8]> {
    let after_name = at.checked_add(name.len())?;
    if header.get(at..after_name)? != name || header.get(after_name) != Some(&b'=') {
        return None;
    }
    let value = &header[after_name + 1..];
    let end = memchr2(b';', b',', value).unwrap_or(value.len());
    (end > 0).then(|| &value[..end])
}

/// The value after the separator at `separator`: `[ \t]*` is greedy, so the longest run of
/// blanks is tried first. A name that does not itself start with a blank can only match after
/// the whole run, which is the only position tried for it.
fn value_after_separator<'h>(header: &'h [u8], separator: usize, name: &[u8]) -> Option<&'h [u8]> {
    let blanks_start = separator + 1;
    let blanks = header[blanks_start..].iter().take_while(|&&b| is_blank(b)).count();
    if name.first().is_some_and(|&b| is_blank(b)) {
        (0..=blanks).rev().find_map(|skipped| value_at(header, blanks_start + skipped, name))
    } else {
        value_at(header, blanks_start + blanks, name)
    }
}

/// The tracking cookie's value in `header`, exactly as stock mod_usertrack extracts it, or `None`
/// when stock would mint a new cookie.
pub fn find_cookie<'h>(header: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    if let Some(value) = value_at(header, 0, name) {
        return Some(value);
    }
    let mut from = 0;
    while let Some(offset) = memchr2(b';', b',', &header[from..]) {
        let separator = from + offset;
        debug_assert!(is_separator(header[separator]));
        if let Some(value) = value_after_separator(header, separator, name) {
            return Some(value);
        }
        from = separator + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_cookie;

    fn found(header: &str) -> Option<&str> {
        find_cookie(header.as_bytes(), b"Apache").map(|v| std::str::from_utf8(v).unwrap())
    }

    /// Every row of the parsing table in stock-behaviour.md §4.
    #[test]
    fn stock_parsing_table() {
        let table: &[(&str, Option<&str>)] = &[
            ("Apache=abc", Some("abc")),
            ("x=1; Apache=abc", Some("abc")),
            ("x=1;Apache=abc", Some("abc")),
            ("x=1;   Apache=abc", Some("abc")),
            ("x=1,Apache=abc", Some("abc")),
            ("x=1, Apache=abc", Some("abc")),
            ("MyApache=abc", None),
            ("MyApache=abc; Apache=def", Some("def")),
            ("Apache2=abc", None),
            ("apache=abc", None),
            ("APACHE=abc", None),
            ("Apache=", None),
            ("Apache=; Apache=second", Some("second")),
            ("Apache =abc", None),
            ("Apache= abc", Some(" abc")),
            ("Apache=\"quoted value\"", Some("\"quoted value\"")),
            ("Apache=a b c ;x=1", Some("a b c ")),
            ("Apache=a,b", Some("a")),
            ("Apache=first; Apache=second", Some("first")),
            ("x=\"y;Apache=inquote\"", Some("inquote\"")),
            ("x=y Apache=nosep", None),
            ("Apache=abc=def", Some("abc=def")),
        ];
        for (header, expected) in table {
            assert_eq!(found(header), *expected, "Cookie: {header}");
        }
    }

    #[test]
    fn merged_headers_and_tabs() {
        assert_eq!(found("x=1, Apache=abc"), Some("abc"));
        assert_eq!(found("x=1;\t \tApache=tabbed"), Some("tabbed"));
        assert_eq!(found("Apache=,Apache=b"), Some("b"));
        assert_eq!(found(";Apache=lead"), Some("lead"));
        assert_eq!(found(""), None);
        assert_eq!(found(";;;,,,"), None);
        assert_eq!(found("x=1;"), None);
        assert_eq!(found("x=1; Apache"), None);
    }

    #[test]
    fn name_is_literal_not_a_pattern() {
        assert_eq!(find_cookie(b"aXb=1; a.b=2", b"a.b"), Some(&b"2"[..]));
        assert_eq!(find_cookie(b"user_id=7", b"user_id"), Some(&b"7"[..]));
    }

    #[test]
    fn names_with_blanks_backtrack_over_the_blank_run() {
        assert_eq!(find_cookie(b"x=1;  a=1", b" a"), Some(&b"1"[..]));
        assert_eq!(find_cookie(b"x=1;\t\t=v", b"\t="), None);
        assert_eq!(find_cookie(b"x=1;\t\t=v", b"\t"), Some(&b"v"[..]));
    }

    #[test]
    fn value_runs_to_end_of_header() {
        assert_eq!(found("a=b; Apache=0123456789abcdef.fff"), Some("0123456789abcdef.fff"));
        assert_eq!(find_cookie(b"Apache=\xff\xfe", b"Apache"), Some(&b"\xff\xfe"[..]));
    }
}
