//! Differential: the Cookie scanner against the stock module's regex, as
//! tests/scanner_matches_stock_regex.rs builds it (leftmost-first match of
//! `^NAME=([^;,]+)|[;,][ \t]*NAME=([^;,]+)`, every non-alphanumeric byte of NAME escaped), for
//! arbitrary header bytes and arbitrary names (up to 32 bytes). Input: a length byte, the
//! name, the header; the whole input is also a header for the default name, `Apache`.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use fuzz_input::fields;
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::cookie_scan::find_cookie;
use regex::bytes::Regex;

#[path = "../../tests/stock_regex/mod.rs"]
mod stock_regex;
use stock_regex::{stock_regex, stock_value};

/// Longer names add nothing the scanner treats differently, and make the regex slow to build.
const MAX_NAME_LEN: usize = 32;

thread_local! {
    /// Compiling the regex costs far more than a match: the names seen, compiled once.
    static REGEXES: RefCell<HashMap<Vec<u8>, Regex>> = RefCell::new(HashMap::new());
    /// The default name's, for the whole input as a header.
    static DEFAULT_NAME: Regex = stock_regex(b"Apache");
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
    let expected = DEFAULT_NAME.with(|regex| stock_value(regex, data));
    assert_eq!(find_cookie(data, b"Apache"), expected, "header {data:?}");
});
