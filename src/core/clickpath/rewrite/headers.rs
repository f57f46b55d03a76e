//! `Location` and `Refresh` (spec §6): the session goes in after the own host, replacing any
//! sessions already there; new sessions also resolve relative URLs against the base.

use std::sync::Arc;

use pcre2::bytes::{CaptureLocations, Regex};

use super::patterns::HeaderPatterns;
use super::{RewriteContext, SessionKind};

#[derive(Debug)]
pub struct HeaderRewriter<'a> {
    patterns: Arc<HeaderPatterns>,
    context: RewriteContext<'a>,
}

impl<'a> HeaderRewriter<'a> {
    pub fn new(context: RewriteContext<'a>) -> Result<Self, pcre2::Error> {
        Ok(Self::with_patterns(Arc::new(HeaderPatterns::compile(&context)?), context))
    }

    /// With patterns compiled for the same host, prefix and kind of session (`cache.rs`).
    pub fn with_patterns(patterns: Arc<HeaderPatterns>, context: RewriteContext<'a>) -> Self {
        Self { patterns, context }
    }

    /// The new `Location`, or `None` if it stays as it is.
    pub fn location(&self, value: &[u8]) -> Option<Vec<u8>> {
        self.rewrite(&self.patterns.location, value)
    }

    /// The new `Refresh`, or `None` if it stays as it is.
    pub fn refresh(&self, value: &[u8]) -> Option<Vec<u8>> {
        self.rewrite(&self.patterns.refresh, value)
    }

    fn rewrite(&self, pattern: &Regex, value: &[u8]) -> Option<Vec<u8>> {
        let mut groups: CaptureLocations = pattern.capture_locations();
        let found = pattern.captures_read(&mut groups, value).ok()??;
        let (head_start, head_end) = groups.get(1)?;
        let mut rewritten = Vec::with_capacity(value.len() + self.context.session_path.len() + 64);
        rewritten.extend_from_slice(&value[head_start..head_end]);
        rewritten.extend_from_slice(self.context.session_path);
        match self.context.session {
            SessionKind::Existing => rewritten.push(b'/'),
            SessionKind::New { base } => {
                let (first, _) = groups.get(2)?;
                if value[first] != b'/' {
                    rewritten.extend_from_slice(base);
                }
                rewritten.push(value[first]);
            }
        }
        rewritten.extend_from_slice(&value[found.end()..]);
        (rewritten != value).then_some(rewritten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &[u8] = b"/-S:ID";

    fn rewriter(host: &'static str, session: SessionKind<'static>) -> HeaderRewriter<'static> {
        HeaderRewriter::new(RewriteContext { host: host.as_bytes(), prefix: b"-S:", session_path: S, session }).unwrap()
    }

    fn location(rewriter: &HeaderRewriter, value: &str) -> String {
        rewriter.location(value.as_bytes()).map_or_else(|| format!("unchanged {value}"), |new| String::from_utf8(new).unwrap())
    }

    const NEW: SessionKind = SessionKind::New { base: b"/dir/" };

    #[test]
    fn existing_sessions() {
        let r = rewriter("www.example.com", SessionKind::Existing);
        assert_eq!(location(&r, "/x/y"), "/-S:ID/x/y");
        assert_eq!(location(&r, "http://www.example.com/x"), "http://www.example.com/-S:ID/x");
        assert_eq!(location(&r, "HTTPS://WWW.EXAMPLE.COM/x"), "HTTPS://WWW.EXAMPLE.COM/-S:ID/x", "case-insensitive");
        assert_eq!(location(&r, "/-S:other/-S:more/x"), "/-S:ID/x", "foreign sessions are replaced");
        assert_eq!(location(&r, "/-S:ID/x"), "unchanged /-S:ID/x");
        assert_eq!(location(&r, "http://other/x"), "unchanged http://other/x");
        assert_eq!(location(&r, "x/y"), "unchanged x/y");
        assert_eq!(location(&r, "//cdn/x"), "unchanged //cdn/x", "quirk 4 fixed");
    }

    #[test]
    fn new_sessions() {
        let r = rewriter("h", NEW);
        assert_eq!(location(&r, "/x"), "/-S:ID/x");
        assert_eq!(location(&r, "../x"), "/-S:ID/dir/../x");
        assert_eq!(location(&r, "?q=1"), "/-S:ID/dir/?q=1");
        assert_eq!(location(&r, "http://h/x"), "http://h/-S:ID/x");
        assert_eq!(location(&r, "http://other/x"), "unchanged http://other/x");
        assert_eq!(location(&r, "mailto:a@b"), "unchanged mailto:a@b");
        assert_eq!(location(&r, "/-S:old/x"), "/-S:ID/x");
        assert_eq!(location(&r, "//cdn/x"), "unchanged //cdn/x", "quirk 4 fixed");
        assert_eq!(location(&r, ""), "unchanged ");
    }

    #[test]
    fn host_prefix_quirk_8_is_reproduced() {
        let r = rewriter("localhost:80", NEW);
        assert_eq!(location(&r, "http://localhost:8080/x"), "http://localhost:80/-S:ID/dir/80/x");
        let no_host = rewriter("", NEW);
        assert_eq!(location(&no_host, "http://other/x"), "http:///-S:ID/dir/other/x");
    }

    #[test]
    fn refresh_headers() {
        let r = rewriter("h", NEW);
        let refresh = |value: &str| r.refresh(value.as_bytes()).map(|new| String::from_utf8(new).unwrap());
        assert_eq!(refresh("5; URL=/x").as_deref(), Some("5; URL=/-S:ID/x"));
        assert_eq!(refresh(" 0 ;url= next.html").as_deref(), Some(" 0 ;url= /-S:ID/dir/next.html"));
        assert_eq!(refresh("5").as_deref(), None);
        let existing = rewriter("h", SessionKind::Existing);
        assert_eq!(existing.refresh(b"1;url=http://h/-S:x/y").as_deref(), Some(&b"1;url=http://h/-S:ID/y"[..]));
    }
}
