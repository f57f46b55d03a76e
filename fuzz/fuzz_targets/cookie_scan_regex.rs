//! Differential: the Cookie scanner against the stock module's regex, as
//! tests/scanner_matches_stock_regex.rs builds it (leftmost-first match of
//! `^NAME=([^;,]+)|[;,][ \t]*NAME=([^;,]+)`, every non-alphanumeric byte of NAME escaped), for
//! arbitrary header bytes and arbitrary names. Input: a length byte, the name, the header.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use fuzz_input::fields;
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::cookie_scan::find_cookie;
use regex::bytes::Regex;

fn stock_regex(name: &[u8]) -> Regex {
    let escaped: String = name
        .iter()
        .map(|&b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect();
    Regex::new(&format!("(?s-u)^{escaped}=([^;,]+)|[;,][ \\t]*{escaped}=([^;,]+)")).unwrap()
}

fn stock_value<'h>(regex: &Regex, header: &'h [u8]) -> Option<&'h [u8]> {
    let captures = regex.captures(header)?;
    captures.get(1).or_else(|| captures.get(2)).map(|m| m.as_bytes())
}

/// Longer names add nothing the scanner treats differently, and make the regex slow to build.
const MAX_NAME_LEN: usize = 32;

thread_local! {
    /// Compiling the regex costs far more than a match: the names seen, compiled once.
    static REGEXES: RefCell<HashMap<Vec<u8>, Regex>> = RefCell::new(HashMap::new());
}

fuzz_target!(|data: &[u8]| {
    let [name, header] = fields(data);
    let name = &name[..name.len().min(MAX_NAME_LEN)];
    let expected = REGEXES.with_borrow_mut(|regexes| {
        if regexes.len() >= 256 {
            regexes.clear();
        }
        stock_value(regexes.entry(name.to_vec()).or_insert_with(|| stock_regex(name)), header)
    });
    assert_eq!(find_cookie(header, name), expected, "name {name:?}, header {header:?}");
});
