//! `escape_for_log` on arbitrary bytes (input: 2 bytes of `max_bytes`, then the value): the
//! output is printable ASCII only, bounded by the cut, and unescapes to exactly the bytes shown.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::log_escape::escape_for_log;

/// The bytes `text` stands for.
fn unescape(text: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match text[at..] {
            [b'\\', b'x', high, low, ..] => {
                bytes.push(u8::from_str_radix(std::str::from_utf8(&[high, low]).unwrap(), 16).unwrap());
                at += 4;
            }
            [b'\\', escaped, ..] => {
                assert!(escaped == b'\\' || escaped == b'"', "{text:?}");
                bytes.push(escaped);
                at += 2;
            }
            [byte, ..] => {
                assert!(byte != b'"', "an unescaped quote: {text:?}");
                bytes.push(byte);
                at += 1;
            }
            [] => unreachable!(),
        }
    }
    bytes
}

fuzz_target!(|data: &[u8]| {
    let split = data.len().min(2);
    let mut max = [0u8; 2];
    max[..split].copy_from_slice(&data[..split]);
    let max_bytes = usize::from(u16::from_le_bytes(max));
    let value = &data[split..];

    let text = escape_for_log(value, max_bytes);
    assert!(text.bytes().all(|b| (b' '..=b'~').contains(&b)), "{text}");
    let shown = value.len().min(max_bytes);
    let marker = format!("...({} bytes)", value.len());
    assert!(text.len() <= 4 * shown + marker.len());
    let escaped = if value.len() > max_bytes { text.strip_suffix(&marker).expect("the length marker") } else { &text };
    assert_eq!(unescape(escaped.as_bytes()), &value[..shown]);
});
