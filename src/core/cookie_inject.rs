//! `CookieInject`: the request's `Cookie` header as the application should see it once an ID is
//! minted, so that CGI, PHP, SSI and proxied backends see the visitor's ID on the first visit
//! exactly as they will on every later one.
//!
//! Written into a caller-provided buffer (request pool memory): no heap.

use super::byte_writer::ByteWriter;

fn is_separator(byte: u8) -> bool {
    byte == b';' || byte == b','
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// What the request's `Cookie` header becomes.
#[derive(Clone, Copy, Debug)]
pub struct Injection<'a> {
    /// The header as received, if there was one.
    pub existing: Option<&'a [u8]>,
    pub name: &'a [u8],
    pub value: &'a [u8],
    /// The visitor's own value was rejected: every `name=` pair goes, so that the application
    /// sees exactly one, ours. The kept pairs are then joined with `"; "`.
    pub drop_existing_pairs: bool,
}

impl Injection<'_> {
    /// Enough bytes for `write`, the NUL included.
    pub fn buffer_len(&self) -> usize {
        // Rewriting puts "; " where a one-byte separator may have been: at most twice as long.
        let existing = self.existing.map_or(0, |header| 2 * header.len() + 2);
        existing + self.name.len() + 1 + self.value.len() + 1
    }

    /// Writes the new header and a NUL into `out` (`buffer_len` bytes); returns its length.
    pub fn write(&self, out: &mut [u8]) -> usize {
        let mut writer = ByteWriter::new(out);
        match self.existing {
            Some(header) if self.drop_existing_pairs => {
                for pair in pairs(header).filter(|pair| !self.is_ours(pair)) {
                    writer.put(pair);
                    writer.put(b"; ");
                }
            }
            Some(header) if header.iter().any(|&b| !is_blank(b)) => {
                writer.put(header);
                writer.put(b"; ");
            }
            _ => {}
        }
        writer.put(self.name);
        writer.put(b"=");
        writer.put(self.value);
        let len = writer.written();
        writer.put(b"\0");
        len
    }

    /// Whether a pair is named as the tracking cookie.
    fn is_ours(&self, pair: &[u8]) -> bool {
        pair.strip_prefix(self.name).is_some_and(|rest| rest.first() == Some(&b'='))
    }
}

/// The header's pairs, trimmed of blanks, empty ones left out. Split at `;` and `,` as the
/// cookie scanner does (httpd joins repeated headers with `, `).
fn pairs(header: &[u8]) -> impl Iterator<Item = &[u8]> {
    header.split(|&b| is_separator(b)).map(trim_blanks).filter(|pair| !pair.is_empty())
}

fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| !is_blank(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| !is_blank(b)).map_or(start, |last| last + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inject(existing: Option<&str>, drop_existing_pairs: bool) -> String {
        let injection =
            Injection { existing: existing.map(str::as_bytes), name: b"Apache", value: b"1.2.3.4.5", drop_existing_pairs };
        let mut out = vec![0xff; injection.buffer_len()];
        let len = injection.write(&mut out);
        assert_eq!(out[len], 0, "NUL-terminated");
        String::from_utf8(out[..len].to_vec()).unwrap()
    }

    #[test]
    fn a_new_header_or_appended_with_a_semicolon() {
        assert_eq!(inject(None, false), "Apache=1.2.3.4.5");
        assert_eq!(inject(Some("a=1"), false), "a=1; Apache=1.2.3.4.5");
        assert_eq!(inject(Some("a=1; b=2"), false), "a=1; b=2; Apache=1.2.3.4.5");
        assert_eq!(inject(Some(""), false), "Apache=1.2.3.4.5");
        assert_eq!(inject(Some("  "), false), "Apache=1.2.3.4.5");
    }

    #[test]
    fn a_rejected_value_is_replaced_and_the_rest_kept() {
        assert_eq!(inject(Some("Apache=bad"), true), "Apache=1.2.3.4.5");
        assert_eq!(inject(Some("a=1; Apache=bad; b=2"), true), "a=1; b=2; Apache=1.2.3.4.5");
        assert_eq!(inject(Some("a=1, Apache=bad,Apache=worse ;b=2;"), true), "a=1; b=2; Apache=1.2.3.4.5");
        // Only pairs named exactly so: a cookie whose name merely starts alike stays.
        assert_eq!(inject(Some("Apachex=1; xApache=2; Apache"), true), "Apachex=1; xApache=2; Apache; Apache=1.2.3.4.5");
    }

    #[test]
    fn the_buffer_is_always_big_enough() {
        for header in [";,;,;,", "a,b,c,d", ",,,,Apache=x", "a=1,b=2,c=3"] {
            assert!(!inject(Some(header), true).is_empty());
            assert!(!inject(Some(header), false).is_empty());
        }
    }
}
