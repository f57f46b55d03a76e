//! The Cookie scanner on arbitrary header bytes and names (input: a length byte, the name,
//! then the header), and the default name on the whole input: never panics, and a value found
//! is a non-empty sub-slice of the header, with no `;` or `,`, right after `name=`.
#![no_main]

use fuzz_input::{fields, is_within};
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::cookie_scan::{CookieFinder, find_cookie};

fn check(name: &[u8], header: &[u8]) {
    let found = CookieFinder::new(name).find(header);
    assert_eq!(found, find_cookie(header, name));
    let Some(value) = found else { return };
    assert!(is_within(value, header));
    assert!(!value.is_empty() && !value.iter().any(|&b| b == b';' || b == b','), "{value:?}");
    let start = value.as_ptr() as usize - header.as_ptr() as usize;
    let before = &header[..start];
    assert!(before.strip_suffix(b"=").is_some_and(|before| before.ends_with(name)), "{header:?}");
}

fuzz_target!(|data: &[u8]| {
    let [name, header] = fields(data);
    check(name, header);
    check(b"Apache", data);
});
