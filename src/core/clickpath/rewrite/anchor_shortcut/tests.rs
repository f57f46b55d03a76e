use pcre2::bytes::CaptureLocations;
use proptest::prelude::*;

use super::*;
use crate::core::clickpath::rewrite::patterns::BodyPatterns;
use crate::core::clickpath::rewrite::tag_start::{TagKind, tag_kind};

const NEW: SessionKind = SessionKind::New { base: b"/dir/" };

fn context(host: &'static [u8], prefix: &'static [u8], session: SessionKind<'static>) -> RewriteContext<'static> {
    RewriteContext { host, prefix, session_path: b"/-S:ID", session }
}

/// What PCRE2 says with pattern A at `start`, in the shortcut's terms.
fn pcre(text: &[u8], start: usize, context: &RewriteContext) -> Shortcut {
    let patterns = BodyPatterns::compile(context).unwrap();
    let pattern = patterns.interpreted_for_tag(TagKind::Anchor);
    let mut groups: CaptureLocations = pattern.capture_locations();
    match pattern.captures_read_at(&mut groups, text, start).unwrap() {
        None => Shortcut::NoMatch,
        Some(found) => Shortcut::Link { head_end: groups.get(1).unwrap().1, value_start: groups.get(3).unwrap().0, end: found.end() },
    }
}

#[test]
fn plain_links_are_answered() {
    let c = context(b"www.example.com", b"-S:", SessionKind::Existing);
    let text = br#"<a href="/x.html" title="t">"#;
    assert_eq!(anchor_at(text, 0, &c), Shortcut::Link { head_end: 9, value_start: 9, end: 17 });
    let text = br#"<A class="nav" HREF = 'http://WWW.example.com/-S:old/y'>"#;
    assert_eq!(anchor_at(text, 0, &c), pcre(text, 0, &c));
    assert!(matches!(anchor_at(text, 0, &c), Shortcut::Link { .. }));
}

#[test]
fn lines_without_a_link_are_no_match() {
    let c = context(b"h", b"-S:", SessionKind::Existing);
    assert_eq!(anchor_at(b"<a name=\"x\">\n<a href=\"/y\">", 0, &c), Shortcut::NoMatch);
    assert_eq!(anchor_at(b"<a href=\"rel.html\">", 0, &c), Shortcut::NoMatch, "an existing session leaves relative links");
}

#[test]
fn runs_past_the_quote_are_left_to_pcre() {
    let c = context(b"h", b"-S:", NEW);
    assert_eq!(anchor_at(br#"<a href="/-S:abc">x</a>"#, 0, &c), Shortcut::Unsure);
    assert_eq!(anchor_at(br#"<a href="/-S:abc//x">"#, 0, &c), Shortcut::Unsure);
}

fn tag_text() -> impl Strategy<Value = Vec<u8>> {
    let parts = prop::sample::select(vec![
        &b"<a "[..], b"<AREA\t", b"< a\n", b"href", b"HREF", b" href", b"data-href", b"=", b" = ", b"\"", b"'", b"/", b"//", b"/-S:", b"/-s:",
        b"abc", b"x.html", b"http://h", b"HTTPS://H", b"http://hx", b"http://other", b"mailto:", b"#top", b"\n", b" ", b">", b"h", b"_", b"?q=1",
        b"<a href=\"/z\">", b"-S:", b":",
    ]);
    prop::collection::vec(parts, 1..14).prop_map(|parts| {
        let mut text = b"<a ".to_vec();
        parts.iter().for_each(|part| text.extend_from_slice(part));
        text
    })
}

proptest! {
    /// Where the shortcut answers, PCRE2 gives the same answer.
    #[test]
    fn never_differs_from_pcre(
        text in tag_text(),
        host in prop::sample::select(vec![&b"h"[..], b"", b"H:80"]),
        prefix in prop::sample::select(vec![&b"-S:"[..], b"/P", b"-s"]),
        new: bool,
    ) {
        let c = context(host, prefix, if new { NEW } else { SessionKind::Existing });
        for (start, _) in text.iter().enumerate().filter(|&(at, &byte)| byte == b'<' && tag_kind(&text[at..]) == Some(TagKind::Anchor)) {
            let shortcut = anchor_at(&text, start, &c);
            if shortcut != Shortcut::Unsure {
                prop_assert_eq!(shortcut, pcre(&text, start, &c), "{:?} at {}", String::from_utf8_lossy(&text), start);
            }
        }
    }
}
