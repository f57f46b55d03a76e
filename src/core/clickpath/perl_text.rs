//! The character classes of the Perl regexes the ClickPath tables were parsed with, for the
//! hand-written parsers that replace them (ASCII, as Perl on byte strings).

/// Perl's `\s`: space, `\t`, `\n`, `\x0b`, `\f`, `\r`.
pub fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Perl's `\w`: ASCII letters, digits and `_`.
pub fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Whether the whole text matches `^\w*$`.
pub fn is_all_word(text: &[u8]) -> bool {
    text.iter().all(|&byte| is_word(byte))
}

/// The length of the leading run of bytes `class` accepts.
pub fn run_len(text: &[u8], class: impl Fn(u8) -> bool) -> usize {
    text.iter().position(|&byte| !class(byte)).unwrap_or(text.len())
}

pub fn trim_start(text: &[u8]) -> &[u8] {
    &text[run_len(text, is_space)..]
}

pub fn trim_end(text: &[u8]) -> &[u8] {
    let end = text.iter().rposition(|&byte| !is_space(byte)).map_or(0, |last| last + 1);
    &text[..end]
}

/// Splits `text` into its leading run of `class` and the rest.
pub fn split_run(text: &[u8], class: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    text.split_at(run_len(text, class))
}

/// Lines as Perl's `split /\n/` gives them, without the newline.
pub fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&byte| byte == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(" \t\n\x0b\x0c\r".bytes().all(is_space));
        assert!(!is_space(b'x') && !is_space(0xa0));
        assert!(is_all_word(b"abc_XYZ_019") && is_all_word(b""));
        assert!(!is_all_word(b"a.b") && !is_all_word(b"\"q\"") && !is_all_word("é".as_bytes()));
    }

    #[test]
    fn trimming_and_runs() {
        assert_eq!(trim_start(b" \t x "), b"x ");
        assert_eq!(trim_end(b" x \r\n"), b" x");
        assert_eq!(trim_end(b"  "), b"");
        assert_eq!(split_run(b"abc def", is_word), (&b"abc"[..], &b" def"[..]));
    }
}
