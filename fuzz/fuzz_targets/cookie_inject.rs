//! `Injection::write` with arbitrary existing headers (input: flags, a length byte and the
//! cookie name, a length byte and the value, then the existing header). The name is mapped
//! onto token bytes and the value onto cookie-octets, as the config and the ID writers
//! guarantee. Never panics in a buffer of exactly `buffer_len()` bytes; the header ends with
//! a NUL inside it; no byte appears that was not in the input, the pair or the `"; "` joint (no
//! CR or LF introduced); with `drop_existing_pairs`, exactly one `name=` pair is left and it
//! is the one the cookie scanner finds.
#![no_main]

use fuzz_input::{fields, is_cookie_octet, is_token_byte, onto};
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::cookie_inject::Injection;
use mod_usertrack::core::cookie_scan::find_cookie;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let [name, value, existing] = fields(rest);
    let (name, value) = (onto(name, is_token_byte), onto(value, is_cookie_octet));
    if name.is_empty() || value.is_empty() {
        return;
    }
    let injection = Injection {
        existing: (flags & 1 == 0).then_some(existing),
        name: &name,
        value: &value,
        drop_existing_pairs: flags & 2 != 0,
    };
    let mut out = vec![0xa5; injection.buffer_len()];
    let len = injection.write(&mut out);
    assert_eq!(out[len], 0);
    let header = &out[..len];

    let pair = [&name[..], b"=", &value].concat();
    assert!(header.ends_with(&pair));
    let known = |byte: &u8| existing.contains(byte) || pair.contains(byte) || b"; ".contains(byte);
    assert!(header.iter().all(known), "{header:?}");

    if injection.drop_existing_pairs {
        let ours = header
            .split(|&b| b == b';' || b == b',')
            .map(|pair| &pair[pair.iter().take_while(|&&b| b == b' ' || b == b'\t').count()..])
            .filter(|pair| pair.strip_prefix(&name[..]).is_some_and(|rest| rest.starts_with(b"=")))
            .count();
        assert_eq!(ours, 1, "{header:?}");
        assert_eq!(find_cookie(header, &name), Some(&value[..]), "{header:?}");
    }
});
