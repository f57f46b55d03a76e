//! The Perl module's link patterns (spec §12), compiled with PCRE2: the request's host and the
//! prefix are quoted into them, so the body patterns are compiled once per host, prefix and kind
//! of session and kept per process (`cache.rs`). Case-insensitive throughout.
//!
//! The body patterns start with `\G`: they are tried only where `tag_start.rs` finds their tag,
//! anchored there, never searched for through the page.
//!
//! One deliberate change: protocol-relative URLs (`//cdn/x`) are left alone (quirk 4, fixed);
//! the Perl module glued the session onto them.

use pcre2::bytes::{Regex, RegexBuilder};

use super::tag_start::TagKind;
use super::{RewriteContext, SessionKind};

/// Every byte but ASCII letters and digits as `\x{hh}`: any host or prefix text matches
/// literally, and the pattern stays valid UTF-8.
pub fn quote(bytes: &[u8]) -> String {
    let mut quoted = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() {
            quoted.push(byte as char);
        } else {
            quoted.push_str(&format!("\\x{{{byte:02x}}}"));
        }
    }
    quoted
}

/// The four body patterns, in the order they are applied, each anchored (`\G`) where it is
/// tried, twice: JIT-compiled where PCRE2 can (the one used), and interpreted, for the rare
/// match the JIT gives up on (its stack is 32 KB), so that a limit never changes the output.
#[derive(Debug)]
pub struct BodyPatterns {
    jit: [Regex; 4],
    interpreted: [Regex; 4],
}

impl BodyPatterns {
    pub fn for_tag(&self, kind: TagKind) -> &Regex {
        &self.jit[kind as usize]
    }

    /// The same pattern, interpreted: for a match the JIT could not finish.
    pub fn interpreted_for_tag(&self, kind: TagKind) -> &Regex {
        &self.interpreted[kind as usize]
    }
}

fn compile(pattern: &str) -> Result<Regex, pcre2::Error> {
    RegexBuilder::new().caseless(true).build(pattern)
}

/// The Perl pattern's `.*?\N` (the shortest run of anything but a newline up to the opening
/// quote again), written as runs of bytes that are no quote at all, or the other quote, taken
/// possessively, then the quote: the same match, without a backtracking point per byte.
fn value_group(session: SessionKind, excluded: &str, quote_group: u8) -> String {
    let up_to_quote = format!(r#"(?:[^"'\n]++|(?!\{quote_group})["'])*+\{quote_group}"#);
    match session {
        SessionKind::Existing => format!(r"((?!//)/{up_to_quote})"),
        SessionKind::New { .. } => format!(r"((?!{excluded}|//){up_to_quote})"),
    }
}

/// The Perl pattern's lazy gap before an attribute (`.*?` before `\bhref`, `[^>]*?` before
/// `\baction`): the same positions in the same order, but only those where the attribute's
/// first letter is, the bytes between them skipped possessively. `others` is what the gap may
/// not hold besides that letter (`\n` for `.`, `>` for `[^>]`).
fn lazy_gap_before(first_letter: char, others: &str) -> String {
    let (lower, upper) = (first_letter.to_ascii_lowercase(), first_letter.to_ascii_uppercase());
    format!(r"[^{others}{lower}{upper}]*+(?:[{lower}{upper}][^{others}{lower}{upper}]*+)*?")
}

impl BodyPatterns {
    pub fn compile(context: &RewriteContext) -> Result<Self, pcre2::Error> {
        let host = quote(context.host);
        let prefix = quote(context.prefix);
        let own = format!(r"(?:https?://{host})?");
        let old = format!(r"(?:/+{prefix}[^/]+)?");
        let session = context.session;
        // `(*LF)`: only `\n` ends a line for `.`, as in Perl, whatever PCRE2's build default.
        let anchor = format!(r#"(*LF)\G(<\s*a(?:rea)?\s+{}\bhref\s*=\s*(["']){own}){old}{}"#, lazy_gap_before('h', r"\n"), value_group(session, r"\w+:|#", 2));
        let form = format!(r#"(*LF)\G(<\s*form\s+{}\baction\s*=\s*(["']){own}){old}{}"#, lazy_gap_before('a', ">"), value_group(session, r"\w+:", 2));
        let frame = format!(r#"(*LF)\G(<\s*i?frame\s+{}\bsrc\s*=\s*(["']){own}){old}{}"#, lazy_gap_before('s', ">"), value_group(session, r"\w+:", 2));
        let meta = format!(
            r#"(*LF)\G(<\s*meta\s+[^>]*?)(\bhttp-equiv\s*=\s*(["']?)refresh\3[^>]*?)?(\bcontent\s*=\s*(["'])\s*\d+\s*;\s*url\s*=\s*{own}){old}{}([^>]*?\bhttp-equiv\s*=\s*(["']?)refresh\8)?"#,
            value_group(session, r"\w+:", 5)
        );
        let patterns = [anchor, meta, form, frame];
        let jit = |pattern: &String| RegexBuilder::new().caseless(true).jit_if_available(true).build(pattern);
        Ok(Self {
            jit: [jit(&patterns[0])?, jit(&patterns[1])?, jit(&patterns[2])?, jit(&patterns[3])?],
            interpreted: [compile(&patterns[0])?, compile(&patterns[1])?, compile(&patterns[2])?, compile(&patterns[3])?],
        })
    }
}

/// The header patterns: `Location` and the URL part of `Refresh`.
#[derive(Debug)]
pub struct HeaderPatterns {
    pub location: Regex,
    pub refresh: Regex,
}

impl HeaderPatterns {
    /// Group 1: the kept head (own host, and for Refresh the delay and `url=`); for new
    /// sessions group 2: the first character after any old sessions.
    pub fn compile(context: &RewriteContext) -> Result<Self, pcre2::Error> {
        let host = quote(context.host);
        let prefix = quote(context.prefix);
        let tail = match context.session {
            SessionKind::Existing => format!(r"(?:/{prefix}[^/]+)*/(?!/)"),
            SessionKind::New { .. } => format!(r"(?!\w+:|//)(?:/{prefix}[^/]+)*(.)"),
        };
        let own = format!(r"(?:https?://{host})?");
        Ok(Self {
            location: compile(&format!(r"^({own}){tail}"))?,
            refresh: compile(&format!(r"^(\s*\d+\s*;\s*url\s*=\s*{own}){tail}"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_literal() {
        assert_eq!(quote(b"a.b:80"), r"a\x{2e}b\x{3a}80");
        let regex = compile(&format!("^{}$", quote(b"(x)*\\Q\xff"))).unwrap();
        assert!(regex.is_match(b"(x)*\\Q\xff").unwrap());
        assert!(!regex.is_match(b"xx").unwrap());
    }

    #[test]
    fn every_pattern_compiles_for_any_host() {
        for host in [&b""[..], b"localhost:8080", b"[::1]:80", b"\\E)(", b"h\xe9"] {
            for session in [SessionKind::Existing, SessionKind::New { base: b"/" }] {
                let context = RewriteContext { host, prefix: b"-S:", session_path: b"/-S:x", session };
                BodyPatterns::compile(&context).unwrap();
                HeaderPatterns::compile(&context).unwrap();
            }
        }
    }
}
