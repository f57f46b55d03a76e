//! The ID's base64: standard alphabet without padding, then `+`→`@` and `/`→`-` (spec §3.1);
//! decoding is as lenient as Perl's MIME::Base64 (spec §3.5): characters outside the alphabet
//! are skipped, the first `=` ends the data, a final group of 2 or 3 characters yields 1 or 2
//! bytes and a lone final character is dropped.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Encoded length of `len` bytes without padding.
pub const fn encoded_len(len: usize) -> usize {
    (len * 4).div_ceil(3)
}

/// Writes the ID form of `bytes` to the start of `out` (at least `encoded_len` long) and returns
/// how many bytes it wrote.
pub fn encode_into(bytes: &[u8], out: &mut [u8]) -> usize {
    let written = STANDARD_NO_PAD.encode_slice(bytes, out).expect("callers size `out` with encoded_len");
    for byte in &mut out[..written] {
        *byte = to_id_alphabet(*byte);
    }
    written
}

/// `+`→`@`, `/`→`-`: the two characters the ID uses instead (URL- and rotation-safe).
pub fn to_id_alphabet(byte: u8) -> u8 {
    match byte {
        b'+' => b'@',
        b'/' => b'-',
        other => other,
    }
}

/// The reverse mapping, done by the decoder before base64.
pub fn from_id_alphabet(byte: u8) -> u8 {
    match byte {
        b'@' => b'+',
        b'-' => b'/',
        other => other,
    }
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes standard base64 text in `buffer` leniently, in place (the output never overtakes
/// the input), and returns the decoded length.
pub fn decode_lenient_in_place(buffer: &mut [u8]) -> usize {
    let mut written = 0;
    let mut group = 0u32;
    let mut in_group = 0;
    for read in 0..buffer.len() {
        let byte = buffer[read];
        if byte == b'=' {
            break;
        }
        let Some(value) = sextet(byte) else { continue };
        group = (group << 6) | u32::from(value);
        in_group += 1;
        if in_group == 4 {
            buffer[written..written + 3].copy_from_slice(&group.to_be_bytes()[1..]);
            written += 3;
            group = 0;
            in_group = 0;
        }
    }
    // 2 characters carry 12 bits (one byte), 3 carry 18 (two); 1 carries no whole byte.
    let tail = match in_group {
        2 => [(group >> 4) as u8, 0],
        3 => [(group >> 10) as u8, (group >> 2) as u8],
        _ => return written,
    };
    let tail_len = in_group - 1;
    buffer[written..written + tail_len].copy_from_slice(&tail[..tail_len]);
    written + tail_len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> Vec<u8> {
        let mut buffer = text.as_bytes().to_vec();
        let len = decode_lenient_in_place(&mut buffer);
        buffer.truncate(len);
        buffer
    }

    fn encoded(bytes: &[u8]) -> String {
        let mut out = vec![0; encoded_len(bytes.len())];
        let len = encode_into(bytes, &mut out);
        assert_eq!(len, out.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_spec_examples() {
        assert_eq!(encoded(&[127, 0, 0, 1]), "fwAAAQ");
        let ciphertext = [0x77, 0xbf, 0xe7, 0x8e, 0x5d, 0xdc, 0x31, 0x27, 0x04, 0xda, 0x8b, 0xf0, 0x10, 0x54, 0x1d, 0x78];
        assert_eq!(encoded(&ciphertext), "d7-njl3cMScE2ovwEFQdeA");
        assert_eq!(encoded_len(15), 20);
        assert_eq!(encoded_len(16), 22);
    }

    #[test]
    fn decoding_reads_standard_base64() {
        assert_eq!(decoded("fwAAAQ"), [127, 0, 0, 1]);
        assert_eq!(decoded("fwAAAQ=="), [127, 0, 0, 1]);
        assert_eq!(decoded("aGVsbG8"), b"hello");
    }

    #[test]
    fn decoding_is_as_lenient_as_mime_base64() {
        assert_eq!(decoded("a G!V*s_b-G8"), b"hello", "characters outside the alphabet are skipped");
        assert_eq!(decoded("aGVs=bG8"), b"hel", "the first = ends the data");
        assert_eq!(decoded("aGVsb"), b"hel", "a lone final character is dropped");
        assert_eq!(decoded(""), b"");
        assert_eq!(decoded("A"), b"");
        assert_eq!(decoded("NN"), [0x34]);
    }

    #[test]
    fn the_id_alphabet_swaps_plus_and_slash() {
        assert_eq!(encoded(&[0xfb, 0xff]), "@-8");
        assert_eq!(decoded(&"@-8".bytes().map(|b| from_id_alphabet(b) as char).collect::<String>()), [0xfb, 0xff]);
    }
}
