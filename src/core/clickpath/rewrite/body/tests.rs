use proptest::prelude::*;

use super::*;
use crate::core::clickpath::rewrite::SessionKind;

const S: &[u8] = b"/-S:ID";
const NEW: SessionKind = SessionKind::New { base: b"/dir/" };

fn context(host: &'static str, session: SessionKind<'static>) -> RewriteContext<'static> {
    RewriteContext { host: host.as_bytes(), prefix: b"-S:", session_path: S, session }
}

/// The body rewritten, fed in pieces of the given sizes (cycled).
fn rewritten_in(context: RewriteContext, body: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut rewriter = BodyRewriter::new(context).unwrap();
    let mut out = Vec::new();
    let mut emit = |bytes: &[u8]| out.extend_from_slice(bytes);
    let mut rest = body;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (part, after) = rest.split_at(size.clamp(1, rest.len()));
        rewriter.feed(part, &mut emit);
        rest = after;
    }
    rewriter.finish(&mut emit);
    out
}

fn rewritten(context: RewriteContext, body: &str) -> String {
    String::from_utf8(rewritten_in(context, body.as_bytes(), &[usize::MAX])).unwrap()
}

#[test]
fn anchors_with_an_existing_session() {
    let c = context("www.example.com", SessionKind::Existing);
    assert_eq!(rewritten(c, r#"<a href="/x">"#), r#"<a href="/-S:ID/x">"#);
    assert_eq!(rewritten(c, r#"<A HREF='/x'>"#), r#"<A HREF='/-S:ID/x'>"#, "case and single quotes");
    assert_eq!(rewritten(c, r#"<area shape=rect href = "/m">"#), r#"<area shape=rect href = "/-S:ID/m">"#);
    assert_eq!(rewritten(c, r#"<a href="http://www.example.com/x">"#), r#"<a href="http://www.example.com/-S:ID/x">"#);
    assert_eq!(rewritten(c, r#"<a href="http://other.org/x">"#), r#"<a href="http://other.org/x">"#);
    assert_eq!(rewritten(c, r#"<a href="rel/x">"#), r#"<a href="rel/x">"#, "existing: only values starting with /");
    assert_eq!(rewritten(c, r#"<a href="/-S:old/x">"#), r#"<a href="/-S:ID/x">"#, "an old session is replaced");
    assert_eq!(rewritten(c, r#"<a href="//cdn.example/x">"#), r#"<a href="//cdn.example/x">"#, "quirk 4 fixed");
    assert_eq!(rewritten(c, "<a href=/x>"), "<a href=/x>", "unquoted values are never touched");
}

#[test]
fn anchors_with_a_new_session() {
    let c = context("h", NEW);
    assert_eq!(rewritten(c, r#"<a href="/x">"#), r#"<a href="/-S:ID/x">"#);
    assert_eq!(rewritten(c, r#"<a href="x.html">"#), r#"<a href="/-S:ID/dir/x.html">"#);
    assert_eq!(rewritten(c, r#"<a href="">"#), r#"<a href="/-S:ID/dir/">"#);
    assert_eq!(rewritten(c, r##"<a href="#top">"##), r##"<a href="#top">"##);
    assert_eq!(rewritten(c, r#"<a href="mailto:x@y">"#), r#"<a href="mailto:x@y">"#);
    assert_eq!(rewritten(c, r#"<a href="http://H/x">"#), r#"<a href="http://H/-S:ID/x">"#);
    assert_eq!(rewritten(c, r#"<a href="http://other/x">"#), r#"<a href="http://other/x">"#);
}

#[test]
fn forms_frames_and_iframes() {
    let c = context("h", NEW);
    assert_eq!(rewritten(c, "<form method=post\n action=\"go.cgi\">"), "<form method=post\n action=\"/-S:ID/dir/go.cgi\">");
    assert_eq!(rewritten(c, r##"<form action="#x">"##), r##"<form action="/-S:ID/dir/#x">"##, "only \\w+: is excluded");
    assert_eq!(rewritten(c, r#"<frame src="/f.html">"#), r#"<frame src="/-S:ID/f.html">"#);
    assert_eq!(rewritten(c, r#"<iframe width=1 src='f.html'>"#), r#"<iframe width=1 src='/-S:ID/dir/f.html'>"#);
    assert_eq!(rewritten(c, r#"<img src="/i.png"><link href="/s.css"><script src="/j.js">"#), r#"<img src="/i.png"><link href="/s.css"><script src="/j.js">"#);
    let e = context("h", SessionKind::Existing);
    assert_eq!(rewritten(e, r#"<form action="/go">"#), r#"<form action="/-S:ID/go">"#);
    assert_eq!(rewritten(e, r#"<form action="go">"#), r#"<form action="go">"#);
}

#[test]
fn meta_refresh() {
    let c = context("h", NEW);
    assert_eq!(
        rewritten(c, r#"<meta http-equiv="refresh" content="5; url=next.html">"#),
        r#"<meta http-equiv="refresh" content="5; url=/-S:ID/dir/next.html">"#
    );
    assert_eq!(rewritten(c, r#"<META CONTENT="0;URL=/x" HTTP-EQUIV=Refresh>"#), r#"<META CONTENT="0;URL=/-S:ID/x" HTTP-EQUIV=Refresh>"#);
    assert_eq!(rewritten(c, r#"<meta name="x" content="5; url=/-S:old/x">"#), r#"<meta name="x" content="5; url=/x">"#, "not a refresh: the old session is just dropped");
    assert_eq!(rewritten(c, r#"<meta http-equiv="refresh" content="5; url=http://other/">"#), r#"<meta http-equiv="refresh" content="5; url=http://other/">"#);
}

#[test]
fn quirk_9_is_reproduced() {
    let c = context("h", SessionKind::Existing);
    assert_eq!(rewritten(c, r#"<a data-href="/x">"#), r#"<a data-href="/-S:ID/x">"#);
    assert_eq!(rewritten(c, r#"<a name="n">t</a> <link href="/s.css">"#), r#"<a name="n">t</a> <link href="/-S:ID/s.css">"#);
    assert_eq!(rewritten(c, "<a\nclass=x\nhref=\"/x\">"), "<a\nclass=x\nhref=\"/x\">", "the gap does not span lines");
}

#[test]
fn several_links_in_one_piece() {
    let c = context("h", SessionKind::Existing);
    assert_eq!(rewritten(c, r#"<a href="/1">1</a><a href="/2">2</a>"#), r#"<a href="/-S:ID/1">1</a><a href="/-S:ID/2">2</a>"#);
}

#[test]
fn a_tag_split_at_every_position_is_rewritten() {
    let c = context("h", NEW);
    let body = br#"<p>text</p><a href="page.html">p</a>"#;
    let whole = rewritten_in(c, body, &[usize::MAX]);
    assert_eq!(whole, br#"<p>text</p><a href="/-S:ID/dir/page.html">p</a>"#);
    for size in 1..body.len() {
        assert_eq!(rewritten_in(c, body, &[size]), whole, "pieces of {size}");
    }
}

#[test]
fn long_bodies_are_cut_before_unclosed_tags() {
    let c = context("h", SessionKind::Existing);
    let mut body = vec![b'x'; PIECE - 5];
    body.extend_from_slice(br#"<a href="/x">y</a>"#);
    let out = rewritten_in(c, &body, &[7]);
    assert!(out.ends_with(br#"<a href="/-S:ID/x">y</a>"#));
}

#[test]
fn an_unclosed_tag_at_the_end_is_emitted_untouched() {
    let c = context("h", SessionKind::Existing);
    assert_eq!(rewritten(c, r#"<a href="/x">a</a><a href="/y""#), r#"<a href="/-S:ID/x">a</a><a href="/y""#);
}

#[test]
fn at_most_a_piece_is_held_back() {
    let c = context("h", SessionKind::Existing);
    let mut rewriter = BodyRewriter::new(c).unwrap();
    let mut emitted = 0;
    for _ in 0..100 {
        rewriter.feed(&[b'y'; 700], &mut |bytes| emitted += bytes.len());
        assert!(rewriter.pending_len() < PIECE);
    }
    rewriter.finish(&mut |bytes| emitted += bytes.len());
    assert_eq!(emitted, 70_000);
    // An endless tag is cut at MAX_TAG.
    let mut rewriter = BodyRewriter::new(c).unwrap();
    rewriter.feed(b"<a ", &mut |_| ());
    for _ in 0..100 {
        rewriter.feed(&[b'z'; 1000], &mut |_| ());
        assert!(rewriter.pending_len() < MAX_TAG + 1000);
    }
}

fn html_fragment() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "<a href=\"/x\">", "<A HREF='y.html'>", "</a>", "<form action=\"go\">", "<iframe src=\"/f\">", "<meta http-equiv=refresh content=\"1;url=z\">",
        "<a href=\"/-S:old/q\">", "text ", "\n", "<", ">", "\"", "'", " href=\"/w\"", "<area ", "<p>", "http://h/", "-S:", "x",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #[test]
    fn any_split_gives_the_unsplit_output(
        fragments in proptest::collection::vec(html_fragment(), 0..400),
        sizes in proptest::collection::vec(1usize..1500, 1..8),
        new: bool,
    ) {
        let c = context("h", if new { NEW } else { SessionKind::Existing });
        let body = fragments.concat();
        let whole = rewritten_in(c, body.as_bytes(), &[usize::MAX]);
        prop_assert_eq!(rewritten_in(c, body.as_bytes(), &sizes), whole);
    }

    #[test]
    fn text_without_tags_passes_unchanged(body in proptest::collection::vec(any::<u8>().prop_map(|b| if b == b'<' { b'>' } else { b }), 0..3000), size in 1usize..700) {
        let c = context("h", NEW);
        prop_assert_eq!(rewritten_in(c, &body, &[size]), body);
    }
}

