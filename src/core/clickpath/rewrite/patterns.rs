//! The Perl module's link patterns (spec §12), compiled with PCRE2: the request's host and the
//! prefix are quoted into them, so the body patterns are compiled once per host, prefix and kind
//! of session and kept per process (`cache.rs`). Case-insensitive throughout.
//!
//! One deliberate change: protocol-relative URLs (`//cdn/x`) are left alone (quirk 4, fixed);
//! the Perl module glued the session onto them.

use pcre2::bytes::{Regex, RegexBuilder};

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

/// The four body patterns, in the order they are applied.
#[derive(Debug)]
pub struct BodyPatterns {
    pub anchor: Regex,
    pub meta: Regex,
    pub form: Regex,
    pub frame: Regex,
}

fn compile(pattern: &str) -> Result<Regex, pcre2::Error> {
    RegexBuilder::new().caseless(true).build(pattern)
}

/// The value group: what follows the optional own host and old session, up to the closing
/// quote (backreference `quote_group`).
fn value_group(session: SessionKind, excluded: &str, quote_group: u8) -> String {
    match session {
        SessionKind::Existing => format!(r"((?!//)/.*?\{quote_group})"),
        SessionKind::New { .. } => format!(r"((?!{excluded}|//).*?\{quote_group})"),
    }
}

impl BodyPatterns {
    pub fn compile(context: &RewriteContext) -> Result<Self, pcre2::Error> {
        let host = quote(context.host);
        let prefix = quote(context.prefix);
        let own = format!(r"(?:https?://{host})?");
        let old = format!(r"(?:/+{prefix}[^/]+)?");
        let session = context.session;
        let anchor = format!(r#"(<\s*a(?:rea)?\s+.*?\bhref\s*=\s*(["']){own}){old}{}"#, value_group(session, r"\w+:|#", 2));
        let form = format!(r#"(<\s*form\s+[^>]*?\baction\s*=\s*(["']){own}){old}{}"#, value_group(session, r"\w+:", 2));
        let frame = format!(r#"(<\s*i?frame\s+[^>]*?\bsrc\s*=\s*(["']){own}){old}{}"#, value_group(session, r"\w+:", 2));
        let meta = format!(
            r#"(<\s*meta\s+[^>]*?)(\bhttp-equiv\s*=\s*(["']?)refresh\3[^>]*?)?(\bcontent\s*=\s*(["'])\s*\d+\s*;\s*url\s*=\s*{own}){old}{}([^>]*?\bhttp-equiv\s*=\s*(["']?)refresh\8)?"#,
            value_group(session, r"\w+:", 5)
        );
        Ok(Self { anchor: compile(&anchor)?, meta: compile(&meta)?, form: compile(&form)?, frame: compile(&frame)? })
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
