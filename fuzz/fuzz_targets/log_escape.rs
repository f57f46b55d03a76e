//! `bounded_for_log` on arbitrary bytes (input: 2 bytes of `max_bytes`, then the value): the
//! output is the value's first `max_bytes` bytes, unchanged (httpd's error log escapes them),
//! then, only if the value was longer, the marker with its whole length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::log_escape::bounded_for_log;

fuzz_target!(|data: &[u8]| {
    let split = data.len().min(2);
    let mut max = [0u8; 2];
    max[..split].copy_from_slice(&data[..split]);
    let max_bytes = usize::from(u16::from_le_bytes(max));
    let value = &data[split..];
    let text = bounded_for_log(value, max_bytes);
    let shown = value.len().min(max_bytes);
    assert_eq!(&text[..shown], &value[..shown]);
    let marker = &text[shown..];
    if value.len() > max_bytes {
        assert_eq!(marker, format!("...({} bytes)", value.len()).as_bytes());
    } else {
        assert!(marker.is_empty());
    }
});
