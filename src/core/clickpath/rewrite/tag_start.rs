//! Where a link pattern can start. Every body pattern (spec §12) begins with `<\s*`, its tag
//! name and `\s`, so a match can only start at such a `<`. The rewriter finds the `<`s
//! (`byte_positions.rs`), tells them apart here with a few byte comparisons and runs the
//! pattern, anchored, only there: the same matches as the Perl module's global search, without
//! the regex engine walking every byte of the page.
//!
//! The test here must never be stricter than the patterns (a missed start would be a missed
//! link); being looser only costs a failed anchored match.

// PCRE2's `\s` without Unicode properties is Perl's: space, `\t`, `\n`, `\v`, `\f`, `\r`.
use crate::core::clickpath::perl_text::{is_space, run_len};

/// The tag a pattern is about, in the order the patterns are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `<a` and `<area`: pattern A.
    Anchor,
    Meta,
    Form,
    /// `<frame` and `<iframe`.
    Frame,
}

impl TagKind {
    pub const ALL: [TagKind; 4] = [TagKind::Anchor, TagKind::Meta, TagKind::Form, TagKind::Frame];

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// `name` (lower case), case-insensitively, at the start of `text`, followed by a space.
fn is_name_then_space(text: &[u8], name: &[u8]) -> bool {
    text.len() > name.len() && text[..name.len()].eq_ignore_ascii_case(name) && is_space(text[name.len()])
}

/// The kind of tag a pattern could match at `text[0]`, which is a `<`.
#[inline]
pub fn tag_kind(text: &[u8]) -> Option<TagKind> {
    // Most tags of a page (`</…`, `<p`, `<div`) are told apart by their first byte.
    let first = *text.get(1)?;
    if !is_space(first) && !matches!(first | 0x20, b'a' | b'm' | b'f' | b'i') {
        return None;
    }
    let blanks = run_len(&text[1..], is_space);
    let name = &text[1 + blanks..];
    match name.first()?.to_ascii_lowercase() {
        b'a' if is_name_then_space(name, b"a") || is_name_then_space(name, b"area") => Some(TagKind::Anchor),
        b'm' if is_name_then_space(name, b"meta") => Some(TagKind::Meta),
        b'f' if is_name_then_space(name, b"form") => Some(TagKind::Form),
        b'f' | b'i' if is_name_then_space(name, b"frame") || is_name_then_space(name, b"iframe") => Some(TagKind::Frame),
        _ => None,
    }
}

/// A set of tag kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TagKinds(u8);

impl TagKinds {
    pub const ALL: TagKinds = TagKinds(0b1111);

    pub fn insert(&mut self, kind: TagKind) {
        self.0 |= kind.bit();
    }

    pub fn contains(self, kind: TagKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use pcre2::bytes::RegexBuilder;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_four_kinds_in_any_case_and_spacing() {
        assert_eq!(tag_kind(b"<a href"), Some(TagKind::Anchor));
        assert_eq!(tag_kind(b"< \t\nAREA\x0bshape"), Some(TagKind::Anchor));
        assert_eq!(tag_kind(b"<Meta content"), Some(TagKind::Meta));
        assert_eq!(tag_kind(b"<FORM\x0caction"), Some(TagKind::Form));
        assert_eq!(tag_kind(b"<frame src"), Some(TagKind::Frame));
        assert_eq!(tag_kind(b"<iFrame\rsrc"), Some(TagKind::Frame));
    }

    #[test]
    fn other_tags_and_names_without_a_space_are_not() {
        for text in [&b"<abbr "[..], b"<a>", b"<a", b"<area>", b"<img src", b"<metadata ", b"<formx ", b"<frameset ", b"<", b"</a ", b"<ifram "] {
            assert_eq!(tag_kind(text), None, "{:?}", String::from_utf8_lossy(text));
        }
    }

    fn tag_text() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop::sample::select(vec![&b"<"[..], b" ", b"\t", b"\x0b", b"a", b"A", b"rea", b"REA", b"meta", b"form", b"i", b"frame", b"x", b">", b"\xa0", b"\x85"]);
        prop::collection::vec(pieces, 1..8).prop_map(|parts| [&b"<"[..]].iter().chain(parts.iter()).flat_map(|part| part.iter().copied()).collect())
    }

    proptest! {
        /// Never stricter than PCRE2 itself on the patterns' openings.
        #[test]
        fn agrees_with_pcre_on_the_openings(text in tag_text()) {
            for (kind, opening) in [(TagKind::Anchor, r"^<\s*a(?:rea)?\s"), (TagKind::Meta, r"^<\s*meta\s"), (TagKind::Form, r"^<\s*form\s"), (TagKind::Frame, r"^<\s*i?frame\s")] {
                let pcre = RegexBuilder::new().caseless(true).build(opening).unwrap().is_match(&text).unwrap();
                prop_assert_eq!(pcre, tag_kind(&text) == Some(kind), "{:?} {:?}", kind, String::from_utf8_lossy(&text));
            }
        }
    }
}
