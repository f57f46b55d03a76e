//! ID-format validation and the writers. `has_id_shape` on arbitrary bytes: never panics, and
//! what it accepts is short, cookie-safe and free of the signing separator `~`. `legacy_id`
//! with arbitrary address bytes (input: 8 bytes of time, then the address) and the UUID
//! writers with arbitrary bits: the output always has an ID's shape, is cookie-safe and, for
//! `legacy`, matches Apache::Session's `^[\d\w\.]+\.\d+$`.
#![no_main]

use fuzz_input::is_cookie_octet;
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::id_format::{MAX_FORMATTED_ID_LEN, has_id_shape, legacy_id, uuid_v4, uuid_v7};

fn assert_is_an_id(id: &[u8]) {
    assert!(has_id_shape(id), "{:?}", String::from_utf8_lossy(id));
    assert!(id.len() <= MAX_FORMATTED_ID_LEN && id.iter().all(|&b| is_cookie_octet(b) && b != b'~'), "{id:?}");
}

/// `^[\d\w\.]+\.\d+$`, byte-wise.
fn perl_session_shape(id: &[u8]) -> bool {
    let Some(dot) = id.iter().rposition(|&b| b == b'.') else { return false };
    let (head, digits) = (&id[..dot], &id[dot + 1..]);
    !head.is_empty()
        && head.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
}

fuzz_target!(|data: &[u8]| {
    if has_id_shape(data) {
        assert!(data.len() <= MAX_FORMATTED_ID_LEN && data.iter().all(|&b| is_cookie_octet(b) && b != b'~'), "{data:?}");
    }

    let mut time = [0u8; 8];
    let split = data.len().min(8);
    time[..split].copy_from_slice(&data[..split]);
    let time = u64::from_le_bytes(time);
    let address = &data[split..];
    let legacy = legacy_id(address, time);
    assert_is_an_id(legacy.bytes());
    assert!(perl_session_shape(legacy.bytes()), "{legacy:?}");
    assert!(legacy.bytes().ends_with(format!(".{time}").as_bytes()));

    let mut bits = [0u8; 16];
    let n = data.len().min(16);
    bits[..n].copy_from_slice(&data[..n]);
    assert_is_an_id(uuid_v4(bits).bytes());
    assert_is_an_id(uuid_v7(time, bits[..10].try_into().unwrap()).bytes());
});
