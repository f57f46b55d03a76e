//! Signature verification with arbitrary values, and the sign→verify round trip (input: a
//! length byte and the cookie name, a length byte and an ID, then a cookie value). `verify`
//! never panics and what it returns is the value or a prefix of it; an ID signed verifies under
//! its name, by the primary key or an older one after rotation, and not under another name or
//! with any byte changed.
#![no_main]

use fuzz_input::{fields, is_within, rings};
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::id_format::MAX_FORMATTED_ID_LEN;
use mod_usertrack::core::signing::{KeyRing, MAX_VERIFIED_VALUE_LEN, SIGNED_VALUE_CAPACITY, Verdict};

fn signed(ring: &KeyRing, name: &[u8], id: &[u8]) -> Vec<u8> {
    let mut out = [0u8; SIGNED_VALUE_CAPACITY];
    let len = ring.sign(name, id, &mut out);
    out[..len].to_vec()
}

fn check_verify(ring: &KeyRing, name: &[u8], value: &[u8]) {
    match ring.verify(name, value) {
        Verdict::Signed { id, .. } => {
            assert!(value.len() <= MAX_VERIFIED_VALUE_LEN && is_within(id, value) && value.starts_with(id));
            assert_eq!(value[id.len()], b'~');
        }
        Verdict::Unsigned(id) => assert!(id == value && !value.contains(&b'~')),
        Verdict::Forged => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let [name, id, value] = fields(data);
    let [ring, rotated] = rings();
    check_verify(ring, name, value);
    check_verify(rotated, name, value);

    let id = &id[..id.len().min(MAX_FORMATTED_ID_LEN)];
    let by_old_key = signed(ring, name, id);
    assert_eq!(ring.verify(name, &by_old_key), Verdict::Signed { id, by_primary: true });
    assert_eq!(rotated.verify(name, &by_old_key), Verdict::Signed { id, by_primary: false });
    let by_new_key = signed(rotated, name, id);
    assert_eq!(rotated.verify(name, &by_new_key), Verdict::Signed { id, by_primary: true });
    assert_eq!(ring.verify(name, &by_new_key), Verdict::Forged);
    assert_eq!(ring.verify(&[name, b"x"].concat(), &by_old_key), Verdict::Forged);

    // Any one byte changed: never a valid signature.
    if let [at, flip, ..] = *value {
        let mut tampered = by_old_key.clone();
        let at = usize::from(at) % tampered.len();
        tampered[at] ^= flip.max(1);
        assert!(!matches!(ring.verify(name, &tampered), Verdict::Signed { .. }), "{tampered:?}");
    }
});
