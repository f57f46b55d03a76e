//! The ClickPath session ID decoder (`core::clickpath::session_id::decode`), without a secret
//! and with one (two IVs). Input: a flags byte (bit 0: a secret; bit 1: the second IV), then
//! the ID as found in a URL. Never panics; an ID it accepts (checksum good, every body field
//! present) re-encodes (`NewId::encode_into`, same cipher) to an ID that decodes to the same
//! machine, fields and friendly session, and that is one path segment.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::clickpath::secret::{DEFAULT_IV, SessionCipher, iv_from_argument, key_from_content};
use mod_usertrack::core::clickpath::session_id::{BodyFields, DecodedId, FriendlyPart, NewId, decode};

/// The unit tests' key, with the default IV and with `ClickPathSecretIV 2008-farm`.
fn ciphers() -> &'static [SessionCipher; 2] {
    static CIPHERS: OnceLock<[SessionCipher; 2]> = OnceLock::new();
    CIPHERS.get_or_init(|| {
        let key = key_from_content(b"So long and thanks for all the fish");
        [SessionCipher::new(&key, DEFAULT_IV).unwrap(), SessionCipher::new(&key, iv_from_argument(b"2008-farm")).unwrap()]
    })
}

/// The fields an accepted ID carries; a friendly name without data has empty data.
fn accepted(id: &DecodedId) -> Option<BodyFields> {
    let body = id.body;
    if !body.checksum_ok {
        return None;
    }
    Some(BodyFields { time: body.time?, pid: body.pid?, counter: body.counter?, conn_id: body.conn_id? })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, id)) = data.split_first() else { return };
    // An ID is one path segment: the translation hook never passes a `/` to the decoder.
    let id = &id[..id.iter().position(|&byte| byte == b'/').unwrap_or(id.len())];
    let cipher = (flags & 1 == 1).then(|| &ciphers()[usize::from(flags >> 1 & 1)]);
    let mut scratch = vec![0; id.len()];
    let decoded = decode(id, cipher, &mut scratch);
    let Some(fields) = accepted(&decoded) else { return };

    let friendly = decoded.friendly_name.map(|name| FriendlyPart { name, text: decoded.friendly_text.unwrap_or_default() });
    let new = NewId { machine: decoded.machine, fields, friendly };
    let mut out = vec![0; new.max_len()];
    let len = new.encode_into(cipher, &mut out);
    let again = &out[..len];
    assert!(!again.contains(&b'/'), "a re-encoded ID is one path segment: {again:?}");
    let mut scratch_again = vec![0; again.len()];
    let redecoded = decode(again, cipher, &mut scratch_again);
    assert_eq!(accepted(&redecoded), Some(fields), "{id:?} -> {again:?}");
    assert_eq!(redecoded.machine, decoded.machine, "{id:?} -> {again:?}");
    assert_eq!(redecoded.friendly_name, decoded.friendly_name, "{id:?} -> {again:?}");
    if decoded.friendly_name.is_some() {
        assert_eq!(redecoded.friendly_text.unwrap_or_default(), decoded.friendly_text.unwrap_or_default(), "{id:?} -> {again:?}");
    }
});
