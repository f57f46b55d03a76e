//! Signed IDs: `<id>~<tag>`, so that a client cannot choose its own ID, with key rotation.
//!
//! tag = HMAC-SHA256(key, cookie_name || "=" || id), truncated to its first 128 bits (RFC 2104
//! §5 allows truncation to half the output and no less than 80 bits), in base64url without
//! padding: 22 characters. The cookie name is signed too, so a value cannot be moved to
//! another tracking cookie. `~` is in no ID format, is a cookie-octet and needs no URL
//! escaping, so splitting at the last `~` is unambiguous.
//!
//! The key file lists keys newest first: the first signs, every one verifies, so a key is
//! rotated by adding the new one on top and dropping the old one once its cookies have expired.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD, URL_SAFE_NO_PAD_INDIFFERENT};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::byte_writer::ByteWriter;
use super::id_format::MAX_FORMATTED_ID_LEN;

pub const MAX_KEYS: usize = 8;
/// HMAC-SHA256's own output size: a shorter key would be the weakest part (RFC 2104 §3).
pub const MIN_KEY_LEN: usize = 32;
pub const TAG_LEN: usize = 16;
pub const ENCODED_TAG_LEN: usize = 22;
/// `id~tag` for the longest ID (64 + 1 + 22 = 87), rounded up to a multiple of 8.
pub const SIGNED_VALUE_CAPACITY: usize = (MAX_FORMATTED_ID_LEN + 1 + ENCODED_TAG_LEN).next_multiple_of(8);
/// `verify` calls anything longer forged without hashing it: no ID, signed, is this long.
pub const MAX_VERIFIED_VALUE_LEN: usize = 128;

const SEPARATOR: u8 = b'~';

/// HMAC's keyed state: the key's inner and outer pad already hashed, made once at config time.
/// A clone per use means a request pays two SHA-256 compressions for a short message, not the
/// key schedule again.
type PreparedKey = Hmac<Sha256>;

/// Up to `MAX_KEYS` prepared keys, the first the one that signs.
///
/// It owns no heap memory, because it lives in an APR pool, which is freed without running
/// destructors: `tests/no_alloc.rs` checks that cloning one allocates nothing. (The hash
/// states do have `Drop` impls, but they only zero memory, and only with the `zeroize`
/// feature, which is off.) 1,216 bytes on x86_64 (`size_of` is tested): 152 a key, for two
/// SHA-256 states and a 64-byte block buffer.
#[derive(Clone)]
pub struct KeyRing {
    keys: [Option<PreparedKey>; MAX_KEYS],
}

/// What `verify` makes of a cookie value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// A valid tag; `by_primary` is false when an older key made it (time to re-sign).
    Signed { id: &'a [u8], by_primary: bool },
    /// No `~` at all: a value from before signing was turned on.
    Unsigned(&'a [u8]),
    /// A `~` with a tag that is malformed or matches no key, or a value over
    /// `MAX_VERIFIED_VALUE_LEN`.
    Forged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFileError {
    /// For the caller that reads the file: `reason` is the OS's (e.g. "No such file or directory").
    Unreadable { path: String, reason: String },
    /// `mode`: the file's permission bits.
    WorldReadable { path: String, mode: u32 },
    NotBase64 { path: String, line: usize },
    KeyTooShort { path: String, line: usize, key_bytes: usize },
    NoKey { path: String },
    TooManyKeys { path: String },
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the line's text: it is key material.
        match self {
            Self::Unreadable { path, reason } => {
                write!(f, "CookieSignKeyFile {path}: cannot be read ({reason}); it is read as root at startup")
            }
            Self::WorldReadable { path, mode } => write!(
                f,
                "CookieSignKeyFile {path}: the file is readable by everyone (mode {:04o}); make it readable by root \
                 only (chmod 600)",
                mode & 0o7777
            ),
            Self::NotBase64 { path, line } => write!(f, "CookieSignKeyFile {path}: line {line} is not base64"),
            Self::KeyTooShort { path, line, key_bytes } => write!(
                f,
                "CookieSignKeyFile {path}: line {line} holds {key_bytes} bytes of key, at least {MIN_KEY_LEN} are needed"
            ),
            Self::NoKey { path } => write!(f, "CookieSignKeyFile {path}: no key in the file"),
            Self::TooManyKeys { path } => write!(f, "CookieSignKeyFile {path}: more than {MAX_KEYS} keys"),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// A key line: base64 in either alphabet, padded or not.
fn decode_key_line(line: &[u8]) -> Option<Vec<u8>> {
    STANDARD_NO_PAD_INDIFFERENT.decode(line).or_else(|_| URL_SAFE_NO_PAD_INDIFFERENT.decode(line)).ok()
}

impl KeyRing {
    /// The key file's contents, read by the caller (as root, at config time) with its `mode`.
    ///
    /// One key a line in base64 (standard or URL-safe alphabet, padding optional, surrounding
    /// whitespace ignored), at least `MIN_KEY_LEN` bytes each; blank lines and lines starting
    /// with `#` are skipped. A file others can read is refused: anyone who can read it can
    /// mint IDs that verify.
    pub fn from_file_contents(path: &str, contents: &[u8], mode: u32) -> Result<KeyRing, KeyFileError> {
        let path = || path.to_owned();
        if mode & 0o004 != 0 {
            return Err(KeyFileError::WorldReadable { path: path(), mode });
        }
        let mut ring = KeyRing { keys: Default::default() };
        let mut count = 0;
        for (index, line) in contents.split(|&byte| byte == b'\n').enumerate() {
            let line_number = index + 1;
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let key = decode_key_line(line).ok_or_else(|| KeyFileError::NotBase64 { path: path(), line: line_number })?;
            if key.len() < MIN_KEY_LEN {
                return Err(KeyFileError::KeyTooShort { path: path(), line: line_number, key_bytes: key.len() });
            }
            let slot = ring.keys.get_mut(count).ok_or_else(|| KeyFileError::TooManyKeys { path: path() })?;
            *slot = Some(PreparedKey::new_from_slice(&key).expect("HMAC takes keys of any length"));
            count += 1;
        }
        if count == 0 {
            return Err(KeyFileError::NoKey { path: path() });
        }
        Ok(ring)
    }

    fn primary(&self) -> &PreparedKey {
        self.keys[0].as_ref().expect("from_file_contents never makes an empty ring")
    }

    /// The keyed MAC of `cookie_name=id`, not yet finalized.
    fn mac(key: &PreparedKey, cookie_name: &[u8], id: &[u8]) -> PreparedKey {
        let mut mac = key.clone();
        mac.update(cookie_name);
        mac.update(b"=");
        mac.update(id);
        mac
    }

    /// Writes `id~tag` into `out`, signed with the first key; returns its length.
    /// Panics if `id` is longer than `MAX_FORMATTED_ID_LEN` (no ID format is).
    pub fn sign(&self, cookie_name: &[u8], id: &[u8], out: &mut [u8; SIGNED_VALUE_CAPACITY]) -> usize {
        assert!(id.len() <= MAX_FORMATTED_ID_LEN, "IDs are at most {MAX_FORMATTED_ID_LEN} bytes");
        let full_tag = Self::mac(self.primary(), cookie_name, id).finalize().into_bytes();
        let mut encoded = [0u8; ENCODED_TAG_LEN];
        URL_SAFE_NO_PAD.encode_slice(&full_tag[..TAG_LEN], &mut encoded).expect("16 bytes are 22 characters");
        let mut writer = ByteWriter::new(out);
        writer.put(id);
        writer.put(&[SEPARATOR]);
        writer.put(&encoded);
        writer.written()
    }

    /// Checks a cookie value against every key, comparing tags in constant time.
    pub fn verify<'a>(&self, cookie_name: &[u8], value: &'a [u8]) -> Verdict<'a> {
        if value.len() > MAX_VERIFIED_VALUE_LEN {
            return Verdict::Forged;
        }
        let Some(separator) = value.iter().rposition(|&byte| byte == SEPARATOR) else {
            return Verdict::Unsigned(value);
        };
        let (id, encoded_tag) = (&value[..separator], &value[separator + 1..]);
        // 22 characters carry 132 bits; base64 refuses nonzero spare bits, so every tag has
        // exactly one spelling. The 2 extra bytes are room base64's length estimate asks for.
        let mut tag = [0u8; TAG_LEN + 2];
        if encoded_tag.len() != ENCODED_TAG_LEN || URL_SAFE_NO_PAD.decode_slice(encoded_tag, &mut tag) != Ok(TAG_LEN) {
            return Verdict::Forged;
        }
        let matches = |key: &PreparedKey| Self::mac(key, cookie_name, id).verify_truncated_left(&tag[..TAG_LEN]).is_ok();
        match self.keys.iter().flatten().position(matches) {
            Some(index) => Verdict::Signed { id, by_primary: index == 0 },
            None => Verdict::Forged,
        }
    }

    /// How many keys verify.
    pub fn len(&self) -> usize {
        self.keys.iter().flatten().count()
    }

    /// Always false: a ring holds at least one key. (For clippy's `len_without_is_empty`.)
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for KeyRing {
    /// The number of keys, never their bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRing {{ {} keys }}", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/etc/x.keys";
    /// Bytes 0x00..=0x1f.
    const KEY_0_TO_31: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn key_line(byte: u8) -> String {
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    }

    fn ring(lines: &[String]) -> KeyRing {
        KeyRing::from_file_contents(PATH, lines.join("\n").as_bytes(), 0o600).unwrap()
    }

    fn signed(ring: &KeyRing, name: &[u8], id: &[u8]) -> Vec<u8> {
        let mut out = [0u8; SIGNED_VALUE_CAPACITY];
        let len = ring.sign(name, id, &mut out);
        out[..len].to_vec()
    }

    fn error(contents: &str, mode: u32) -> String {
        KeyRing::from_file_contents(PATH, contents.as_bytes(), mode).unwrap_err().to_string()
    }

    /// Computed with `printf 'Apache=d2e9002.660d2e900a927' | openssl dgst -sha256 -mac HMAC
    /// -macopt hexkey:000102…1f` (faf10234d085d34d41f2d7318f44a6ce…), first 16 bytes in
    /// base64url by Python's `base64.urlsafe_b64encode`.
    #[test]
    fn known_answer() {
        let ring = KeyRing::from_file_contents(PATH, KEY_0_TO_31.as_bytes(), 0o600).unwrap();
        assert_eq!(signed(&ring, b"Apache", b"d2e9002.660d2e900a927"), b"d2e9002.660d2e900a927~-vECNNCF001B8tcxj0Smzg");
    }

    /// RFC 4231 test case 6 (a 131-byte key, longer than a block, so HMAC hashes it first):
    /// the prepared key is the key the file holds.
    #[test]
    fn rfc_4231_prepared_key() {
        let file = base64::engine::general_purpose::STANDARD.encode([0xaa; 131]);
        let ring = KeyRing::from_file_contents(PATH, file.as_bytes(), 0o600).unwrap();
        let mut mac = ring.primary().clone();
        mac.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        let expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn round_trip() {
        let ring = ring(&[key_line(1)]);
        let value = signed(&ring, b"Apache", b"d2e9002.660d2e900a927");
        assert_eq!(value.len(), 21 + 1 + ENCODED_TAG_LEN);
        assert_eq!(ring.verify(b"Apache", &value), Verdict::Signed { id: b"d2e9002.660d2e900a927", by_primary: true });
        let longest = [b'9'; MAX_FORMATTED_ID_LEN];
        let value = signed(&ring, b"Apache", &longest);
        assert_eq!(ring.verify(b"Apache", &value), Verdict::Signed { id: &longest, by_primary: true });
    }

    #[test]
    #[should_panic(expected = "IDs are at most 64 bytes")]
    fn signing_an_over_long_id_panics_rather_than_truncating() {
        signed(&ring(&[key_line(1)]), b"Apache", &[b'1'; MAX_FORMATTED_ID_LEN + 1]);
    }

    #[test]
    fn rotation() {
        let old = ring(&[key_line(2)]);
        let rotated = ring(&[key_line(1), key_line(2)]);
        let by_old_key = signed(&old, b"Apache", b"1.2");
        assert_eq!(rotated.verify(b"Apache", &by_old_key), Verdict::Signed { id: b"1.2", by_primary: false });
        // New signatures use the first key: the old ring alone does not know them.
        let by_new_key = signed(&rotated, b"Apache", b"1.2");
        assert_ne!(by_new_key, by_old_key);
        assert_eq!(rotated.verify(b"Apache", &by_new_key), Verdict::Signed { id: b"1.2", by_primary: true });
        assert_eq!(old.verify(b"Apache", &by_new_key), Verdict::Forged);
        assert_eq!(rotated.len(), 2);
    }

    #[test]
    fn unsigned_values() {
        let ring = ring(&[key_line(1)]);
        assert_eq!(ring.verify(b"Apache", b"d2e9002.660d2e900a927"), Verdict::Unsigned(b"d2e9002.660d2e900a927"));
        assert_eq!(ring.verify(b"Apache", b""), Verdict::Unsigned(b""));
    }

    #[test]
    fn forgeries() {
        let ring = ring(&[key_line(1)]);
        let good = signed(&ring, b"Apache", b"d2e9002.660d2e900a927");
        let separator = good.iter().rposition(|&b| b == b'~').unwrap();
        let mut altered_id = good.clone();
        altered_id[0] = b'e';
        let mut altered_tag = good.clone();
        let last = altered_tag.len() - 1;
        altered_tag[last] = if altered_tag[last] == b'A' { b'B' } else { b'A' };
        let mut with_padding = good.clone();
        with_padding.extend(b"==");
        let mut spare_bits_set = good.clone();
        // The last character carries 2 tag bits and 4 spare (zero) bits: set the lowest spare one.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let sextet = alphabet.iter().position(|&c| c == good[last]).unwrap();
        spare_bits_set[last] = alphabet[sextet | 1];
        let huge = [good.as_slice(), &[b'A'; 200]].concat();
        let cases: [(&str, &[u8]); 10] = [
            ("altered id", &altered_id),
            ("altered tag", &altered_tag),
            ("truncated tag", &good[..good.len() - 1]),
            ("tag without id", &good[separator..]),
            ("padded tag", &with_padding),
            ("spare bits set", &spare_bits_set),
            ("only the separator", b"~"),
            ("tag not base64", b"1.2~!!!!!!!!!!!!!!!!!!!!!!"),
            ("id and separator", &good[..=separator]),
            ("huge", &huge),
        ];
        for (what, value) in cases {
            assert_eq!(ring.verify(b"Apache", value), Verdict::Forged, "{what}");
        }
        assert_eq!(ring.verify(b"Other", &good), Verdict::Forged, "other cookie name");
        assert_eq!(ring.verify(b"Apache", &[b'1'; MAX_VERIFIED_VALUE_LEN + 1]), Verdict::Forged, "over the cap");
    }

    #[test]
    fn key_file_syntax() {
        let url_safe_unpadded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xfb; 40]);
        let contents = format!("# keys, newest first\n\n  {}\t\r\n{url_safe_unpadded}\n   # old\n{KEY_0_TO_31}\n", key_line(1));
        let ring = KeyRing::from_file_contents(PATH, contents.as_bytes(), 0o400).unwrap();
        assert_eq!(ring.len(), 3);
        let eight: Vec<String> = (0..8).map(key_line).collect();
        assert_eq!(self::ring(&eight).len(), 8);
        assert_eq!(format!("{ring:?}"), "KeyRing { 3 keys }");
    }

    #[test]
    fn key_file_errors() {
        let nine: Vec<String> = (0..9).map(key_line).collect();
        let short = base64::engine::general_purpose::STANDARD.encode([7; 16]);
        for (contents, mode, message) in [
            (format!("{}\n\n%%%", key_line(1)), 0o600, "line 3 is not base64".to_string()),
            (format!("{}\nab+_\n", key_line(1)), 0o600, "line 2 is not base64".into()),
            (format!("# only\n{short}\n"), 0o600, "line 2 holds 16 bytes of key, at least 32 are needed".into()),
            ("".into(), 0o600, "no key in the file".into()),
            ("# nothing\n\n  \n".into(), 0o600, "no key in the file".into()),
            (nine.join("\n"), 0o600, "more than 8 keys".into()),
            (
                key_line(1),
                0o100644,
                "the file is readable by everyone (mode 0644); make it readable by root only (chmod 600)".into(),
            ),
            (key_line(1), 0o604, "the file is readable by everyone (mode 0604); make it readable by root only (chmod 600)".into()),
        ] {
            assert_eq!(error(&contents, mode), format!("CookieSignKeyFile {PATH}: {message}"));
        }
        let unreadable = KeyFileError::Unreadable { path: PATH.into(), reason: "No such file or directory".into() };
        assert_eq!(
            unreadable.to_string(),
            "CookieSignKeyFile /etc/x.keys: cannot be read (No such file or directory); it is read as root at startup"
        );
    }

    #[test]
    fn messages_never_show_key_material() {
        let short = base64::engine::general_purpose::STANDARD.encode(b"sixteen byte key");
        let message = error(&short, 0o600);
        assert!(!message.contains(&short) && !message.contains("sixteen"), "{message}");
        let message = error("c2VjcmV0IQ=#", 0o600);
        assert!(!message.contains("c2VjcmV0"), "{message}");
    }

    #[test]
    fn group_and_owner_modes_are_accepted() {
        for mode in [0o600, 0o400, 0o640, 0o660, 0o100600] {
            assert!(KeyRing::from_file_contents(PATH, key_line(1).as_bytes(), mode).is_ok(), "{mode:o}");
        }
    }

    #[test]
    fn size_is_reasonable() {
        let size = std::mem::size_of::<KeyRing>();
        assert!(size <= MAX_KEYS * 160, "KeyRing is {size} bytes");
    }
}
