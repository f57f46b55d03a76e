//! The output filter's rewriting (spec §6, patterns in §12): `Location`/`Refresh` headers and
//! the links of `text/html` bodies get the session, for new and existing sessions alike.

pub mod anchor_shortcut;
pub mod base;
pub mod byte_positions;
pub mod body;
pub mod cache;
pub mod headers;
pub mod patterns;
pub mod piece;
pub mod tag_start;

/// The session a response's links get, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RewriteContext<'a> {
    /// The request's `Host` header as sent (with port; empty if absent).
    pub host: &'a [u8],
    pub prefix: &'a [u8],
    /// `CGI_SESSION`: `/` + prefix + ID.
    pub session_path: &'a [u8],
    pub session: SessionKind<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind<'a> {
    /// The request came with the session: only root-relative links change.
    Existing,
    /// A new session: relative links change too, resolved against `base` (see `base.rs`).
    New { base: &'a [u8] },
}

/// Whether a body is rewritten: the Content-Type contains `text/html`, in any case.
pub fn is_html(content_type: &[u8]) -> bool {
    content_type.windows(9).any(|window| window.eq_ignore_ascii_case(b"text/html"))
}

#[cfg(test)]
mod tests {
    use super::is_html;

    #[test]
    fn html_content_types() {
        assert!(is_html(b"text/html") && is_html(b"TEXT/HTML; charset=utf-8"));
        assert!(!is_html(b"application/xhtml+xml") && !is_html(b"text/plain") && !is_html(b""));
    }
}
