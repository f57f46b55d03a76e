//! The stock module's regex, the reference the cookie scanner is checked against: by
//! tests/scanner_matches_stock_regex.rs and by the fuzz target fuzz/fuzz_targets/cookie_scan_regex.rs
//! (which includes this file).

use regex::bytes::Regex;

/// `^NAME=([^;,]+)|[;,][ \t]*NAME=([^;,]+)` with every non-alphanumeric byte of NAME escaped.
pub fn stock_regex(name: &[u8]) -> Regex {
    let escaped: String = name
        .iter()
        .map(|&b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect();
    Regex::new(&format!("(?s-u)^{escaped}=([^;,]+)|[;,][ \\t]*{escaped}=([^;,]+)")).unwrap()
}

/// The value stock extracts: the first capture of the leftmost-first match.
pub fn stock_value<'h>(regex: &Regex, header: &'h [u8]) -> Option<&'h [u8]> {
    let captures = regex.captures(header)?;
    captures.get(1).or_else(|| captures.get(2)).map(|m| m.as_bytes())
}
