//! The hand-written scanner must agree with the stock module's regex,
//! `^NAME=([^;,]+)|[;,][ \t]*NAME=([^;,]+)` with every non-alphanumeric byte of NAME escaped,
//! on arbitrary Cookie headers. The regex crate's leftmost-first semantics are PCRE's here.

mod stock_regex;

use mod_usertrack::core::cookie_scan::find_cookie;
use proptest::prelude::*;
use stock_regex::{stock_regex, stock_value};

/// Headers built from the pieces that matter: the name, near-misses of it, separators, blanks.
fn header_pieces(name: Vec<u8>) -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let mut near_misses = vec![name.clone(), name.to_ascii_lowercase(), [b"My".as_slice(), &name].concat()];
    if name.len() > 1 {
        near_misses.push(name[..name.len() - 1].to_vec());
    }
    let piece = prop_oneof![
        4 => proptest::sample::select(near_misses),
        3 => Just(b"=".to_vec()),
        3 => proptest::sample::select(vec![b";".to_vec(), b",".to_vec(), b"; ".to_vec(), b", ".to_vec()]),
        2 => proptest::sample::select(vec![b" ".to_vec(), b"\t".to_vec(), b"\"".to_vec()]),
        4 => proptest::collection::vec(any::<u8>(), 0..6),
        2 => "[a-z0-9.]{1,8}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(move |pieces| (name.clone(), pieces.concat()))
}

fn names() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"Apache".to_vec()),
        "[A-Za-z0-9_.!#$%&'*+^`|~-]{1,6}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 1..4),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn agrees_with_the_stock_regex((name, header) in names().prop_flat_map(header_pieces)) {
        let regex = stock_regex(&name);
        prop_assert_eq!(find_cookie(&header, &name), stock_value(&regex, &header));
    }

    #[test]
    fn agrees_on_arbitrary_bytes(name in names(), header in proptest::collection::vec(any::<u8>(), 0..64)) {
        let regex = stock_regex(&name);
        prop_assert_eq!(find_cookie(&header, &name), stock_value(&regex, &header));
    }
}

#[test]
fn reference_regex_reproduces_the_spec_table() {
    let regex = stock_regex(b"Apache");
    assert_eq!(stock_value(&regex, b"x=\"y;Apache=inquote\""), Some(&b"inquote\""[..]));
    assert_eq!(stock_value(&regex, b"MyApache=abc"), None);
    assert_eq!(stock_value(&regex, b"Apache=; Apache=second"), Some(&b"second"[..]));
}
