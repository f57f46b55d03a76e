//! What the fuzz targets share: how an input is cut into fields, and the properties several
//! targets check. Inputs are plain bytes in a format a seed can be written by hand in:
//! every field but the last is a length byte and that many bytes; the last is the rest.

/// `N` fields of `data`: `N - 1` length-prefixed ones (a length past the end takes what is
/// left), then the rest. Missing fields are empty.
pub fn fields<const N: usize>(mut data: &[u8]) -> [&[u8]; N] {
    let mut fields = [&[][..]; N];
    for field in fields.iter_mut().take(N - 1) {
        let Some((&len, rest)) = data.split_first() else { break };
        let (head, tail) = rest.split_at(usize::from(len).min(rest.len()));
        *field = head;
        data = tail;
    }
    fields[N - 1] = data;
    fields
}

/// Whether `part` is a sub-slice of `whole` (the same memory, not merely equal bytes).
pub fn is_within(part: &[u8], whole: &[u8]) -> bool {
    let (start, end) = (part.as_ptr() as usize, part.as_ptr() as usize + part.len());
    let (whole_start, whole_end) = (whole.as_ptr() as usize, whole.as_ptr() as usize + whole.len());
    whole_start <= start && end <= whole_end
}

/// RFC 6265 cookie-octet: US-ASCII except controls, whitespace, `"`, `,`, `;` and `\`.
pub fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// RFC 6265 token bytes (cookie names), as `core::token` defines them.
pub fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte)
}

/// Maps arbitrary bytes onto `alphabet`, so that a target can ask for a value of a given kind
/// without discarding the input.
pub fn onto(bytes: &[u8], allowed: fn(u8) -> bool) -> Vec<u8> {
    let alphabet: Vec<u8> = (0..=255u8).filter(|&b| allowed(b)).collect();
    bytes.iter().map(|&b| if allowed(b) { b } else { alphabet[usize::from(b) % alphabet.len()] }).collect()
}

/// Key lines for the signing targets (32 bytes each, base64): the module's own test keys.
pub const KEY_1: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const KEY_2: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

/// Key rings made once: `[0]` holds KEY_1; `[1]` is it rotated (KEY_2 signs, KEY_1 verifies).
pub fn rings() -> &'static [mod_usertrack::core::signing::KeyRing; 2] {
    use mod_usertrack::core::signing::KeyRing;
    static RINGS: std::sync::OnceLock<[KeyRing; 2]> = std::sync::OnceLock::new();
    RINGS.get_or_init(|| {
        let ring = |contents: String| KeyRing::from_file_contents("/fuzz.keys", contents.as_bytes(), 0o600).unwrap();
        [ring(KEY_1.to_string()), ring(format!("{KEY_2}\n{KEY_1}"))]
    })
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn fields_are_length_prefixed_then_the_rest() {
        assert_eq!(fields::<2>(b"\x06Apachex=1"), [&b"Apache"[..], b"x=1"]);
        assert_eq!(fields::<3>(b"\x09ab"), [&b"ab"[..], b"", b""]);
        assert_eq!(fields::<2>(b""), [&b""[..], b""]);
    }
}
