//! Finds the tracking cookie in a `Cookie` request header.
//!
//! Stock mod_usertrack matches the regex `^NAME=([^;,]+)|[;,][ \t]*NAME=([^;,]+)` (NAME taken
//! literally) and keeps the leftmost match. `CookieFinder` gives the same answer for every input,
//! in one forward pass that allocates nothing.
//!
//! For a name that is an RFC 6265 token (the only names the config accepts) it searches for the
//! name itself with a SIMD substring finder built once per config, and checks each hit's
//! surroundings: a token contains no blank, separator or `=`, so hits come in the order of the
//! regex's match starts. Any other name is matched by stopping at every `;`/`,` separator.

use super::substring::{SubstringFinder, find_separator};
use super::token::is_token;

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
    (header.get(at..after_name)? == name).then(|| value_after_name(header, after_name))?
}

/// The value after a name that ends at `after_name`, if `=` and a non-empty value follow.
fn value_after_name(header: &[u8], after_name: usize) -> Option<&[u8]> {
    let value = header.get(after_name..)?.strip_prefix(b"=")?;
    let end = find_separator(value).unwrap_or(value.len());
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

/// Whether a hit of a token name at `at` is where the regex could match: at the start, or after
/// a separator and blanks.
fn starts_a_cookie(header: &[u8], at: usize) -> bool {
    let before = &header[..at];
    let blanks = before.iter().rev().take_while(|&&b| is_blank(b)).count();
    at == 0 || before.len() > blanks && is_separator(before[before.len() - blanks - 1])
}

fn find_token_cookie<'h>(header: &'h [u8], name: &[u8], finder: &SubstringFinder) -> Option<&'h [u8]> {
    let mut from = 0;
    while let Some(offset) = finder.find(&header[from..]) {
        let at = from + offset;
        if starts_a_cookie(header, at)
            && let Some(value) = value_after_name(header, at + name.len())
        {
            return Some(value);
        }
        from = at + 1;
    }
    None
}

fn find_any_cookie<'h>(header: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    if let Some(value) = value_at(header, 0, name) {
        return Some(value);
    }
    let mut from = 0;
    while let Some(offset) = find_separator(&header[from..]) {
        let separator = from + offset;
        debug_assert!(is_separator(header[separator]));
        if let Some(value) = value_after_separator(header, separator, name) {
            return Some(value);
        }
        from = separator + 1;
    }
    None
}

/// Looks for one cookie name. Holds no heap memory (the name is borrowed), so it may be kept in
/// memory that is released without running destructors, such as an APR pool.
#[derive(Clone, Debug)]
pub struct CookieFinder<'n> {
    name: &'n [u8],
    token_finder: Option<SubstringFinder<'n>>,
}

impl<'n> CookieFinder<'n> {
    pub fn new(name: &'n [u8]) -> Self {
        Self { name, token_finder: is_token(name).then(|| SubstringFinder::new(name)) }
    }

    pub fn name(&self) -> &'n [u8] {
        self.name
    }

    /// The cookie's value in `header`, exactly as stock mod_usertrack extracts it, or `None`
    /// when stock would mint a new cookie.
    pub fn find<'h>(&self, header: &'h [u8]) -> Option<&'h [u8]> {
        match &self.token_finder {
            Some(finder) => find_token_cookie(header, self.name, finder),
            None => find_any_cookie(header, self.name),
        }
    }
}

/// One-off search; builds the finder each time.
pub fn find_cookie<'h>(header: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    CookieFinder::new(name).find(header)
}

#[cfg(test)]
mod tests {
    use super::{CookieFinder, find_cookie};

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
    fn token_hits_inside_values_or_names_are_skipped() {
        assert_eq!(found("a=Apache=x; Apache=y"), Some("y"));
        assert_eq!(found("xApache=1;Apache=2"), Some("2"));
        assert_eq!(found("x=1;  \t Apache=2"), Some("2"));
        assert_eq!(found("x=1 ,\tApache=2"), Some("2"));
        assert_eq!(found("Apache"), None);
    }

    #[test]
    fn only_token_names_take_the_substring_path() {
        assert!(CookieFinder::new(b"Apache").token_finder.is_some());
        assert!(CookieFinder::new(b"a b").token_finder.is_none());
        assert_eq!(CookieFinder::new(b"a b").find(b"x=1; a b=2"), Some(&b"2"[..]));
    }

    #[test]
    fn value_runs_to_end_of_header() {
        assert_eq!(found("a=b; Apache=0123456789abcdef.fff"), Some("0123456789abcdef.fff"));
        assert_eq!(find_cookie(b"Apache=\xff\xfe", b"Apache"), Some(&b"\xff\xfe"[..]));
    }
}
