//! The cookieless visitor ID: `cl-` and 22 base64url characters.
//!
//! ID = base64url(SipHash-2-4-128(the day's SipHash key, len(server name) || server name ||
//! len(client address) || client address || len(User-Agent) || User-Agent)), each length a
//! 4-byte big-endian count, so that no two different field triples hash the same bytes
//! (`ab`,`c` and `a`,`bc` would otherwise run into each other). The key is derived from the
//! day's salt once per salt (`Salt::new`).
//!
//! SipHash-2-4 because it is a standard keyed PRF designed for short inputs (Aumasson and
//! Bernstein, 2012), the one Plausible Analytics uses for exactly this daily-salted visitor
//! hash, and it costs a fraction of HMAC-SHA256 per request (README, "What it costs"). What the
//! ID needs is a PRF under a secret daily key: without the key nobody can recompute an ID, and
//! two days' IDs of one visitor are unrelated; SipHash's 128-bit key gives that. Its 128-bit
//! output keeps collisions out of reach for any day's visitors (a birthday bound of 2^64).
//!
//! The shape cannot be mistaken for a cookie ID: no cookie format has a `cl-` prefix without a
//! dot (`apache`, `legacy`) or 36 characters with hyphens at fixed places (`uuid`), and
//! `id_format::has_id_shape` rejects it, so a client that sends it back as a cookie under
//! `CookieValidate` gets a fresh cookie ID rather than being counted as that visitor.

use std::hash::Hasher as _;

use siphasher::sip128::Hasher128 as _;

use super::salt::Salt;
use crate::core::byte_writer::ByteWriter;

pub const PREFIX: &[u8; 3] = b"cl-";
const ENCODED_LEN: usize = 22;
pub const COOKIELESS_ID_LEN: usize = PREFIX.len() + ENCODED_LEN;

/// What the ID is made of, as the request brought it.
#[derive(Clone, Copy, Debug)]
pub struct VisitorFields<'a> {
    /// The serving virtual host's ServerName (not the Host header, not the port).
    pub server_name: &'a [u8],
    /// `useragent_ip`, so mod_remoteip is honoured.
    pub client_ip: &'a [u8],
    /// Empty when the request has none.
    pub user_agent: &'a [u8],
}

/// A cookieless ID in a fixed block (no heap), followed by a NUL so it can go to httpd as is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CookielessId {
    text: [u8; COOKIELESS_ID_LEN + 1],
}

impl CookielessId {
    pub fn bytes(&self) -> &[u8] {
        &self.text[..COOKIELESS_ID_LEN]
    }

    /// The ID and its terminating NUL.
    pub fn with_nul(&self) -> &[u8; COOKIELESS_ID_LEN + 1] {
        &self.text
    }
}

impl std::fmt::Debug for CookielessId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CookielessId({})", String::from_utf8_lossy(self.bytes()))
    }
}

fn length_prefix(field: &[u8]) -> [u8; 4] {
    // A field longer than 4 GiB cannot reach here (httpd caps header lines far below that).
    u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes()
}

/// Server names and addresses are short: when the two fit in this many bytes, the framing up to
/// the User-Agent goes to the hasher in one piece (one call instead of five, measured: about
/// 170 instructions less per request); longer ones go field by field. The same bytes either way.
const SHORT_HEAD: usize = 128;

/// The hashed bytes before the User-Agent: each field after its length, and the User-Agent's
/// length.
fn framed_head(fields: &VisitorFields, mut put: impl FnMut(&[u8])) {
    for field in [fields.server_name, fields.client_ip] {
        put(&length_prefix(field));
        put(field);
    }
    put(&length_prefix(fields.user_agent));
}

/// The visitor's ID for the day `salt` belongs to.
pub fn cookieless_id(salt: &Salt, fields: &VisitorFields) -> CookielessId {
    let mut hasher = salt.prepared();
    if fields.server_name.len() + fields.client_ip.len() <= SHORT_HEAD {
        let mut head = [0u8; SHORT_HEAD + 12];
        let mut writer = ByteWriter::new(&mut head);
        framed_head(fields, |bytes| writer.put(bytes));
        let written = writer.written();
        hasher.write(&head[..written]);
    } else {
        framed_head(fields, |bytes| hasher.write(bytes));
    }
    hasher.write(fields.user_agent);
    let mut text = [0u8; COOKIELESS_ID_LEN + 1];
    let (prefix, encoded) = text.split_at_mut(PREFIX.len());
    prefix.copy_from_slice(PREFIX);
    base64url_128(hasher.finish128().as_bytes(), (&mut encoded[..ENCODED_LEN]).try_into().expect("22 bytes"));
    CookielessId { text }
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// 16 bytes in base64url without padding: 21 characters of 6 bits, then the last 2 bits
/// followed by four zero bits. A shift of one 128-bit number per character (unrolled; measured
/// a little cheaper than 3-byte groups). Not the `base64` crate's `URL_SAFE_NO_PAD.encode_slice`
/// that `signing.rs` uses: on this per-request path it measured 124 instructions more (the
/// cookieless bench row, one layout: 2,658 with this, 2,782 with the crate).
fn base64url_128(bytes: [u8; 16], out: &mut [u8; ENCODED_LEN]) {
    let value = u128::from_be_bytes(bytes);
    for (index, character) in out[..ENCODED_LEN - 1].iter_mut().enumerate() {
        *character = BASE64URL[(value >> (122 - 6 * index)) as usize & 63];
    }
    out[ENCODED_LEN - 1] = BASE64URL[((value & 3) << 4) as usize];
}

/// Whether `value` has the cookieless ID's shape.
pub fn has_cookieless_shape(value: &[u8]) -> bool {
    value.len() == COOKIELESS_ID_LEN
        && value.starts_with(PREFIX)
        && value[PREFIX.len()..].iter().all(|&byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id_format::has_id_shape;
    use crate::core::token::is_token;

    /// Bytes 0x00..=0x1f.
    fn salt_0_to_31() -> Salt {
        Salt::new(std::array::from_fn(|index| index as u8))
    }

    fn fields<'a>(server_name: &'a str, client_ip: &'a str, user_agent: &'a str) -> VisitorFields<'a> {
        VisitorFields { server_name: server_name.as_bytes(), client_ip: client_ip.as_bytes(), user_agent: user_agent.as_bytes() }
    }

    /// Computed independently with Python: `scripts/cookieless_reference.py` (SipHash-2-4-128
    /// from the paper, checked there against the paper's test vectors; the key is
    /// `hmac.new(bytes(range(32)), b"usertrack cookieless siphash key", hashlib.sha256).digest()[:16]`),
    /// over `b"\0\0\0\x0bexample.com\0\0\0\x09192.0.2.7\0\0\0\x0bMozilla/5.0"`, in
    /// `base64.urlsafe_b64encode` without the padding.
    #[test]
    fn known_answer() {
        let id = cookieless_id(&salt_0_to_31(), &fields("example.com", "192.0.2.7", "Mozilla/5.0"));
        assert_eq!(id.bytes(), b"cl-6LofWc2gbSMYeoSi3oIeEw");
    }

    /// An empty User-Agent still has its length prefix: four zero bytes.
    #[test]
    fn known_answer_without_user_agent() {
        let id = cookieless_id(&salt_0_to_31(), &fields("example.com", "192.0.2.7", ""));
        assert_eq!(id.bytes(), b"cl-4Mfyo85oQPcfFKuVbPt7sw");
    }

    /// A 150-byte User-Agent (bench's length; the bytes 0x20..0x7e twice, cut) and an IPv6
    /// address: many 8-byte words, fields that end inside one. `scripts/cookieless_reference.py`.
    #[test]
    fn known_answer_with_a_long_user_agent() {
        let user_agent: Vec<u8> = (0x20..0x7f).chain(0x20..0x7f).take(150).collect();
        let fields = VisitorFields { server_name: b"example.com", client_ip: b"2001:db8::7", user_agent: &user_agent };
        assert_eq!(cookieless_id(&salt_0_to_31(), &fields).bytes(), b"cl-5RB2_sGJ2MnH4b9jU9JhEw");
    }

    /// Short and long heads (`SHORT_HEAD`) hash the same framing: a ServerName and address of
    /// 128 bytes together, and of 143. `scripts/cookieless_reference.py`.
    #[test]
    fn known_answers_on_both_sides_of_the_short_head() {
        for (letters, expected) in [(105, b"cl-Qczr3W4IU1O1TUIW2vP_YA"), (120, b"cl-vo88ERhDodfLEV59LnYm_A")] {
            let server_name = format!("www.{}.example", "a".repeat(letters));
            let id = cookieless_id(&salt_0_to_31(), &fields(&server_name, "2001:db8::7", "Mozilla/5.0"));
            assert_eq!(id.bytes(), expected);
        }
    }

    /// The crate against the SipHash reference implementation's first 128-bit vector (key
    /// 0x00..0x0f, the empty message) and the Python reference over 64 bytes 0x00..0x3f.
    #[test]
    fn siphash_128_vectors() {
        use siphasher::sip128::SipHasher24;
        let key = std::array::from_fn(|index| index as u8);
        let empty = [163, 129, 127, 4, 186, 37, 168, 230, 109, 246, 114, 20, 199, 85, 2, 147];
        assert_eq!(SipHasher24::new_with_key(&key).hash(b"").as_bytes(), empty);
        let message: Vec<u8> = (0..64).collect();
        let expected = [
            0x1e, 0xaf, 0x07, 0x7d, 0xc0, 0xd4, 0xcd, 0x3f, 0x8c, 0xad, 0x4d, 0x38, 0x36, 0x58, 0xa7, 0x4b,
        ];
        assert_eq!(SipHasher24::new_with_key(&key).hash(&message).as_bytes(), expected);
    }

    /// The shift-per-character encoder is base64url without padding, for every bit position.
    #[test]
    fn the_encoding_is_base64url() {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut inputs = vec![[0u8; 16], [0xff; 16], std::array::from_fn(|index| index as u8 * 17)];
        for bit in 0..128 {
            inputs.push(1u128.wrapping_shl(bit).to_be_bytes());
        }
        for bytes in inputs {
            let mut out = [0u8; ENCODED_LEN];
            base64url_128(bytes, &mut out);
            assert_eq!(out[..], URL_SAFE_NO_PAD.encode(bytes).into_bytes()[..], "{bytes:?}");
        }
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let salt = salt_0_to_31();
        let split = [("ab", "c", "d"), ("a", "bc", "d"), ("a", "b", "cd"), ("abc", "", "d"), ("", "abc", "d")];
        let ids: Vec<_> = split.iter().map(|(s, c, u)| cookieless_id(&salt, &fields(s, c, u))).collect();
        for (index, id) in ids.iter().enumerate() {
            for other in &ids[index + 1..] {
                assert_ne!(id, other);
            }
        }
    }

    #[test]
    fn every_field_and_the_salt_change_the_id() {
        let salt = salt_0_to_31();
        let base = cookieless_id(&salt, &fields("example.com", "192.0.2.7", "UA"));
        assert_eq!(base, cookieless_id(&salt, &fields("example.com", "192.0.2.7", "UA")));
        assert_ne!(base, cookieless_id(&salt, &fields("example.org", "192.0.2.7", "UA")));
        assert_ne!(base, cookieless_id(&salt, &fields("example.com", "192.0.2.8", "UA")));
        assert_ne!(base, cookieless_id(&salt, &fields("example.com", "192.0.2.7", "UA2")));
        assert_ne!(base, cookieless_id(&Salt::new([7; 32]), &fields("example.com", "192.0.2.7", "UA")));
    }

    #[test]
    fn the_shape_is_cookie_safe_and_no_cookie_id() {
        let salt = salt_0_to_31();
        for user_agent in ["", "Mozilla/5.0", "x", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"] {
            for client_ip in ["192.0.2.7", "2001:db8::7", ""] {
                let id = cookieless_id(&salt, &fields("site.test", client_ip, user_agent));
                let bytes = id.bytes();
                assert_eq!(bytes.len(), 25);
                assert!(has_cookieless_shape(bytes), "{id:?}");
                assert!(is_token(bytes), "a cookie-safe token: {id:?}");
                assert!(!has_id_shape(bytes), "never a cookie ID's shape: {id:?}");
                assert_eq!(id.with_nul()[25], 0);
            }
        }
    }

    #[test]
    fn cookie_ids_do_not_have_the_cookieless_shape() {
        for cookie_id in [
            &b"d2e9002.660d2e900a927"[..],
            b"192.0.2.7.1795308822412345",
            b"3f1c9a4e-5b2d-4e8f-9a1b-7c6d5e4f3a2b",
            b"cl-AAAAAAAAAAAAAAAAAAAAA",
            b"cl-AAAAAAAAAAAAAAAAAAAAA.A",
            b"xl-AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(!has_cookieless_shape(cookie_id), "{}", String::from_utf8_lossy(cookie_id));
        }
    }
}
