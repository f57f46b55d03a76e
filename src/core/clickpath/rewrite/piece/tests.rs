use std::sync::Arc;

use proptest::prelude::*;

use super::*;

const S: &[u8] = b"/-S:ID";

/// The Perl module's patterns as spec §12 gives them (with quirk 4's `(?!//)`), unanchored.
fn perl_patterns(context: &RewriteContext) -> [pcre2::bytes::Regex; 4] {
    let (host, prefix) = (super::super::patterns::quote(context.host), super::super::patterns::quote(context.prefix));
    let (own, old) = (format!(r"(?:https?://{host})?"), format!(r"(?:/+{prefix}[^/]+)?"));
    let value = |excluded: &str, quote: u8| match context.session {
        SessionKind::Existing => format!(r"((?!//)/.*?\{quote})"),
        SessionKind::New { .. } => format!(r"((?!{excluded}|//).*?\{quote})"),
    };
    let compile = |pattern: String| pcre2::bytes::RegexBuilder::new().caseless(true).build(&pattern).unwrap();
    [
        compile(format!(r#"(<\s*a(?:rea)?\s+.*?\bhref\s*=\s*(["']){own}){old}{}"#, value(r"\w+:|#", 2))),
        compile(format!(
            r#"(<\s*meta\s+[^>]*?)(\bhttp-equiv\s*=\s*(["']?)refresh\3[^>]*?)?(\bcontent\s*=\s*(["'])\s*\d+\s*;\s*url\s*=\s*{own}){old}{}([^>]*?\bhttp-equiv\s*=\s*(["']?)refresh\8)?"#,
            value(r"\w+:", 5)
        )),
        compile(format!(r#"(<\s*form\s+[^>]*?\baction\s*=\s*(["']){own}){old}{}"#, value(r"\w+:", 2))),
        compile(format!(r#"(<\s*i?frame\s+[^>]*?\bsrc\s*=\s*(["']){own}){old}{}"#, value(r"\w+:", 2))),
    ]
}

/// The Perl module's way: each pattern searched for through the whole piece, replacing globally.
fn searched_through(context: &RewriteContext, piece: &[u8]) -> Vec<u8> {
    let mut text = piece.to_vec();
    for (kind, searching) in TagKind::ALL.into_iter().zip(perl_patterns(context)) {
        let mut groups = searching.capture_locations();
        let mut out = Vec::new();
        let (mut copied, mut at) = (0, 0);
        while at < text.len() {
            let Some(found) = searching.captures_read_at(&mut groups, &text, at).unwrap() else { break };
            out.extend_from_slice(&text[copied..found.start()]);
            let group = |index| groups.get(index).map_or(&b""[..], |(start, end)| &text[start..end]);
            let session = |value: &[u8], out: &mut Vec<u8>| {
                out.extend_from_slice(S);
                if let SessionKind::New { base } = context.session
                    && value.first() != Some(&b'/')
                {
                    out.extend_from_slice(base);
                }
            };
            // The spec's replacements: 1, S, 3 for links; 1, 2, 4, [S], 6, 7 for META.
            if kind == TagKind::Meta {
                [1, 2, 4].iter().for_each(|&index| out.extend_from_slice(group(index)));
                if groups.get(2).is_some() || groups.get(7).is_some() {
                    session(group(6), &mut out);
                }
                [6, 7].iter().for_each(|&index| out.extend_from_slice(group(index)));
            } else {
                out.extend_from_slice(group(1));
                session(group(3), &mut out);
                out.extend_from_slice(group(3));
            }
            copied = found.end();
            at = found.end().max(found.start() + 1);
        }
        out.extend_from_slice(&text[copied..]);
        text = out;
    }
    text
}

fn tricky_fragment() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "<a href=\"/x\">", "<a\thref='y.html' data-href=\"/z\">", "<AREA HREF=\"#top\">", "< a href=\"mailto:x\">", "<a name=x>", "<a\n",
        "<form action='/go'>", "<form\nmethod=post\naction=\"rel\">", "<iframe src=\"/f\">", "<FRAME SRC='g'>",
        "<meta http-equiv=refresh content=\"1;url=z\">", "<meta content='0; URL=/-S:old/w' http-equiv=\"Refresh\">", "<meta content=\"5;url=/k\">",
        "<a href=\"/-S:old/q\">", "<a href=\"http://h/p\">", "<a href='/it\"s'>", "<a href=\"/l'x\">", "\r", "<a href=\"/line\nbreak\">", "<a href=\"https://other/\">", "<a href=\"//cdn/x\">", "href=\"/w\"",
        "text ", "\n", "<", ">", "\"", "'", "<p>", "<abbr title=a>", "<metadata x>", "-S:", "h", "<a <form action=\"/in\" href=\"/both\">",
    ])
}

proptest! {
    #[test]
    fn only_trying_at_tag_starts_changes_nothing(
        fragments in proptest::collection::vec(tricky_fragment(), 0..120),
        host in proptest::sample::select(vec!["h", "", "h<meta ", "x<"]),
        base in proptest::sample::select(vec![&b"/dir/"[..], b"/<meta content=\"1;url=/m\" http-equiv=refresh x/", b"/<form action=\"/f\" /"]),
        new: bool,
    ) {
        let session = if new { SessionKind::New { base } } else { SessionKind::Existing };
        let c = RewriteContext { host: host.as_bytes(), prefix: b"-S:", session_path: S, session };
        let piece = fragments.concat();
        let mut matching = Matching::new(Arc::new(BodyPatterns::compile(&c).unwrap()), &c);
        let mut scratch = [Vec::new(), Vec::new()];
        prop_assert_eq!(rewrite_piece(&mut matching, &c, piece.as_bytes(), &mut scratch), &searched_through(&c, piece.as_bytes())[..]);
    }
}
