//! RFC 6265 cookie names: an HTTP `token`, visible US-ASCII except the separators.

fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte)
}

pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_token_byte(b))
}

#[cfg(test)]
mod tests {
    use super::is_token;

    #[test]
    fn tokens() {
        assert!(is_token(b"Apache"));
        assert!(is_token(b"!#$%&'*+-.^_`|~09AZaz"));
        for separator in b"()<>@,;:\\\"/[]?={} \t" {
            assert!(!is_token(&[b'a', *separator]), "{}", *separator as char);
        }
        assert!(!is_token(b""));
        assert!(!is_token(b"\x7f"));
        assert!(!is_token("é".as_bytes()));
    }
}
