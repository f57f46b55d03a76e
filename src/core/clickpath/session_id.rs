//! The session ID (spec §3): `MACHINE ":" BODY "," [FNAME "," FDATA]`, rotated. BODY is 15
//! bytes (CRC-8, time, pid, counter, connection id, big-endian), optionally Blowfish-CBC
//! encrypted, in the ID's base64.

use super::crc8::crc8;
use super::friendly_data;
use super::id_base64;
use super::rotation::{rotate, unrotate};
use super::secret::{ENCRYPTED_BODY_LEN, SessionCipher};

pub const BODY_LEN: usize = 15;

/// What a new ID records about where and when it was minted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyFields {
    pub time: u32,
    pub pid: u32,
    pub counter: u16,
    pub conn_id: u32,
}

impl BodyFields {
    pub fn plaintext(&self) -> [u8; BODY_LEN] {
        let mut body = [0u8; BODY_LEN];
        body[1..5].copy_from_slice(&self.time.to_be_bytes());
        body[5..9].copy_from_slice(&self.pid.to_be_bytes());
        body[9..11].copy_from_slice(&self.counter.to_be_bytes());
        body[11..15].copy_from_slice(&self.conn_id.to_be_bytes());
        body[0] = crc8(&body[1..]);
        body
    }
}

/// A friendly session to carry in a new ID: its short name and its text (lines joined by
/// newlines, unescaped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FriendlyPart<'a> {
    pub name: &'a [u8],
    pub text: &'a [u8],
}

#[derive(Clone, Copy, Debug)]
pub struct NewId<'a> {
    pub machine: &'a [u8],
    pub fields: BodyFields,
    pub friendly: Option<FriendlyPart<'a>>,
}

impl NewId<'_> {
    /// Enough room for `encode_into`.
    pub fn max_len(&self) -> usize {
        let friendly = self.friendly.map_or(0, |part| part.name.len() + 1 + friendly_data::max_escaped_len(part.text.len()));
        self.machine.len() + 1 + id_base64::encoded_len(ENCRYPTED_BODY_LEN) + 1 + friendly
    }

    /// Writes the ID (rotated, as it appears in URLs) to the start of `out`, at least
    /// `max_len()` long, and returns its length.
    pub fn encode_into(&self, cipher: Option<&SessionCipher>, out: &mut [u8]) -> usize {
        let mut written = put(out, 0, self.machine);
        for byte in &mut out[..written] {
            *byte = id_base64::to_id_alphabet(*byte);
        }
        written = put(out, written, b":");
        let plaintext = self.fields.plaintext();
        written += match cipher {
            Some(cipher) => id_base64::encode_into(&cipher.encrypt_body(&plaintext), &mut out[written..]),
            None => id_base64::encode_into(&plaintext, &mut out[written..]),
        };
        written = put(out, written, b",");
        if let Some(part) = self.friendly {
            written = put(out, written, part.name);
            written = put(out, written, b",");
            written += friendly_data::escape_into(part.text, &mut out[written..]);
        }
        rotate(&mut out[..written]);
        written
    }
}

/// Copies `bytes` to `out[at..]` and returns the end.
fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    out[at..at + bytes.len()].copy_from_slice(bytes);
    at + bytes.len()
}

/// The machine's IPv4 address as an ID's MACHINE (spec §3.1): the address string split on
/// `.`, each piece read as a number (as Perl does: leading digits, else 0, modulo 256), at most
/// four, in standard base64 without `=`. `127.0.0.1` → `fwAAAQ`; an IPv6 address → `AA`.
pub fn machine_from_ip(ip: &[u8], out: &mut [u8; 6]) -> usize {
    let mut bytes = [0u8; 4];
    let mut count = 0;
    for piece in ip.split(|&byte| byte == b'.').take(4) {
        let number = piece.iter().take_while(|byte| byte.is_ascii_digit()).fold(0u8, |n, &digit| n.wrapping_mul(10).wrapping_add(digit - b'0'));
        bytes[count] = number;
        count += 1;
    }
    id_base64::encode_into(&bytes[..count], out)
}

/// Whether a body's checksum holds and which fields it has (a short body lacks some).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DecodedBody {
    pub checksum_ok: bool,
    pub time: Option<u32>,
    pub pid: Option<u32>,
    pub counter: Option<u16>,
    pub conn_id: Option<u32>,
}

impl DecodedBody {
    fn read(plaintext: Option<&[u8]>) -> Self {
        let Some(plaintext) = plaintext.filter(|text| !text.is_empty()) else { return Self::default() };
        let field = |range: std::ops::Range<usize>| plaintext.get(range);
        Self {
            checksum_ok: crc8(&plaintext[1..]) == plaintext[0],
            time: field(1..5).map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes"))),
            pid: field(5..9).map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes"))),
            counter: field(9..11).map(|b| u16::from_be_bytes(b.try_into().expect("2 bytes"))),
            conn_id: field(11..15).map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes"))),
        }
    }
}

/// An incoming ID taken apart (spec §3.5). The slices point into the caller's scratch buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodedId<'a> {
    /// After the reverse `@`/`-` mapping, as the Perl module logs and compares it.
    pub machine: &'a [u8],
    pub body: DecodedBody,
    pub friendly_name: Option<&'a [u8]>,
    /// Unescaped.
    pub friendly_text: Option<&'a [u8]>,
}

/// Decodes `id` (as found in the URL) using `scratch`, which must be at least as long as `id`.
/// Never fails: what cannot be read leaves the checksum invalid or a field absent.
pub fn decode<'a>(id: &[u8], cipher: Option<&SessionCipher>, scratch: &'a mut [u8]) -> DecodedId<'a> {
    let scratch = &mut scratch[..id.len()];
    scratch.copy_from_slice(id);
    unrotate(scratch);
    let main_len = scratch.iter().position(|&byte| byte == b',').unwrap_or(scratch.len());
    let (main, rest) = scratch.split_at_mut(main_len);
    let (friendly_name, friendly_text) = split_friendly(rest);

    for byte in main.iter_mut() {
        *byte = id_base64::from_id_alphabet(*byte);
    }
    let (machine, body) = match main.iter().position(|&byte| byte == b':') {
        Some(colon) => {
            let (machine, body) = main.split_at_mut(colon);
            (&*machine, &mut body[1..])
        }
        None => (&*main, &mut [][..]),
    };
    let body_len = id_base64::decode_lenient_in_place(body);
    let plaintext = match cipher {
        Some(cipher) => cipher.decrypt_in_place(&mut body[..body_len]).map(|len| &body[..len]),
        None => Some(&body[..body_len]),
    };
    DecodedId { machine, body: DecodedBody::read(plaintext), friendly_name, friendly_text }
}

/// `rest` starts at the first comma (or is empty): up to two more parts, FDATA keeping commas.
fn split_friendly(rest: &mut [u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let Some((_comma, rest)) = rest.split_first_mut() else { return (None, None) };
    if rest.is_empty() {
        return (None, None);
    }
    match rest.iter().position(|&byte| byte == b',') {
        Some(comma) => {
            let (name, data) = rest.split_at_mut(comma);
            let data = &mut data[1..];
            let len = friendly_data::unescape_in_place(data);
            (Some(&*name), Some(&data[..len]))
        }
        None => (Some(&*rest), None),
    }
}

#[cfg(test)]
mod tests;
