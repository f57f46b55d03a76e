//! The escaping that carries a friendly session's text inside an ID (spec §4.7): `*`→`**`,
//! `!`→`*!`, `=`→`*.`, newline→`!`, `/`→`*x`, `#`→`*y`; every other byte stays.

/// The longest escaped form of `len` bytes.
pub const fn max_escaped_len(len: usize) -> usize {
    len * 2
}

/// Writes the escaped form of `text` to the start of `out` and returns its length.
pub fn escape_into(text: &[u8], out: &mut [u8]) -> usize {
    let mut written = 0;
    for &byte in text {
        let escaped: &[u8] = match byte {
            b'*' => b"**",
            b'!' => b"*!",
            b'=' => b"*.",
            b'\n' => b"!",
            b'/' => b"*x",
            b'#' => b"*y",
            _ => std::slice::from_ref(&byte),
        };
        out[written..written + escaped.len()].copy_from_slice(escaped);
        written += escaped.len();
    }
    written
}

/// Reverses `escape_into` in place and returns the unescaped length. A `*` before any other
/// byte is kept as it is.
pub fn unescape_in_place(buffer: &mut [u8]) -> usize {
    let mut written = 0;
    let mut read = 0;
    while read < buffer.len() {
        let byte = buffer[read];
        let (unescaped, consumed) = match (byte, buffer.get(read + 1)) {
            (b'*', Some(b'*')) => (b'*', 2),
            (b'*', Some(b'!')) => (b'!', 2),
            (b'*', Some(b'.')) => (b'=', 2),
            (b'*', Some(b'x')) => (b'/', 2),
            (b'*', Some(b'y')) => (b'#', 2),
            (b'!', _) => (b'\n', 1),
            _ => (byte, 1),
        };
        buffer[written] = unescaped;
        written += 1;
        read += consumed;
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped(text: &[u8]) -> Vec<u8> {
        let mut out = vec![0; max_escaped_len(text.len())];
        let len = escape_into(text, &mut out);
        out.truncate(len);
        out
    }

    fn unescaped(text: &[u8]) -> Vec<u8> {
        let mut buffer = text.to_vec();
        let len = unescape_in_place(&mut buffer);
        buffer.truncate(len);
        buffer
    }

    #[test]
    fn the_spec_example() {
        assert_eq!(escaped(b"ld=25\nid=8ab9"), b"ld*.25!id*.8ab9");
        assert_eq!(unescaped(b"ld*.25!id*.8ab9"), b"ld=25\nid=8ab9");
    }

    #[test]
    fn every_escape() {
        assert_eq!(escaped(b"*!=\n/#?% "), b"***!*.!*x*y?% ");
        assert_eq!(unescaped(b"*z*"), b"*z*", "a * before anything else stays");
    }

    proptest! {
        #[test]
        fn unescape_inverts_escape(text in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(unescaped(&escaped(&text)), text);
        }
    }
}
