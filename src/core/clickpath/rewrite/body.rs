//! Links in `text/html` bodies (spec §6), streaming. The body is cut into pieces of up to
//! `PIECE` bytes, each ending before a `<` whose tag is not closed in the piece (that tag starts
//! the next piece), as the Perl module did. The cuts depend only on the content, never on how
//! httpd happens to split it into buckets and brigades: any split gives the same output. At
//! most one piece (plus one over-long tag, up to `MAX_TAG`) is held back.

use std::sync::Arc;

use pcre2::bytes::{CaptureLocations, Regex};

use super::patterns::BodyPatterns;
use super::{RewriteContext, SessionKind};

pub const PIECE: usize = 1024;
/// A tag longer than this is cut (rewriting inside it may then miss); bounds what is held.
pub const MAX_TAG: usize = 16 * 1024;

#[derive(Debug)]
pub struct BodyRewriter<'a> {
    patterns: Arc<BodyPatterns>,
    context: RewriteContext<'a>,
    /// Received, not yet emitted.
    pending: Vec<u8>,
    /// Reused between pattern passes.
    scratch: [Vec<u8>; 2],
}

/// Where the next piece ends, if that can be told yet.
enum Cut {
    At(usize),
    /// More input needed.
    Wait,
    /// End of the body: rewrite up to `at`, emit the rest (an unclosed tag) untouched.
    Final { at: usize },
}

fn unclosed_tag_start(text: &[u8]) -> Option<usize> {
    let last_open = text.iter().rposition(|&byte| byte == b'<')?;
    (!text[last_open..].contains(&b'>')).then_some(last_open)
}

impl<'a> BodyRewriter<'a> {
    /// Compiles the patterns for this response (the filter takes them from a `PatternCache`).
    pub fn new(context: RewriteContext<'a>) -> Result<Self, pcre2::Error> {
        Ok(Self::with_patterns(Arc::new(BodyPatterns::compile(&context)?), context))
    }

    /// With patterns compiled for the same host, prefix and kind of session as `context`.
    pub fn with_patterns(patterns: Arc<BodyPatterns>, context: RewriteContext<'a>) -> Self {
        Self { patterns, context, pending: Vec::new(), scratch: [Vec::new(), Vec::new()] }
    }

    /// Takes the next part of the body; `emit` gets what is final.
    pub fn feed(&mut self, input: &[u8], emit: &mut impl FnMut(&[u8])) {
        self.pending.extend_from_slice(input);
        self.drain(false, emit);
    }

    /// The body ended: `emit` gets the rest.
    pub fn finish(&mut self, emit: &mut impl FnMut(&[u8])) {
        self.drain(true, emit);
    }

    /// Bytes received but not emitted yet.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn drain(&mut self, at_end: bool, emit: &mut impl FnMut(&[u8])) {
        let mut start = 0;
        while start < self.pending.len() {
            match next_cut(&self.pending[start..], at_end) {
                Cut::Wait => break,
                Cut::At(end) => {
                    let piece = &self.pending[start..start + end];
                    let rewritten = rewrite_piece(&self.patterns, &self.context, piece, &mut self.scratch);
                    emit(rewritten);
                    start += end;
                }
                Cut::Final { at } => {
                    let piece = &self.pending[start..start + at];
                    if !piece.is_empty() {
                        emit(rewrite_piece(&self.patterns, &self.context, piece, &mut self.scratch));
                    }
                    emit(&self.pending[start + at..]);
                    start = self.pending.len();
                }
            }
        }
        self.pending.drain(..start);
    }

}

fn next_cut(pending: &[u8], at_end: bool) -> Cut {
    if !at_end && pending.len() < PIECE {
        return Cut::Wait;
    }
    let piece = &pending[..pending.len().min(PIECE)];
    match unclosed_tag_start(piece) {
        None => Cut::At(piece.len()),
        Some(start) if start > 0 => Cut::At(start),
        Some(_) => match pending[piece.len()..].iter().position(|&byte| byte == b'>') {
            Some(close) if piece.len() + close < MAX_TAG => Cut::At(piece.len() + close + 1),
            _ if pending.len() >= MAX_TAG => Cut::At(MAX_TAG),
            _ if at_end => Cut::Final { at: 0 },
            _ => Cut::Wait,
        },
    }
}

/// Applies the four patterns in order (A, META, FORM, FRAME), each replacing globally.
fn rewrite_piece<'s>(patterns: &BodyPatterns, context: &RewriteContext, piece: &[u8], scratch: &'s mut [Vec<u8>; 2]) -> &'s [u8] {
    let [first, second] = scratch;
    replace_all(&patterns.anchor, piece, first, |groups, text, out| link(context, groups, text, out));
    replace_all(&patterns.meta, &first[..], second, |groups, text, out| meta(context, groups, text, out));
    replace_all(&patterns.form, &second[..], first, |groups, text, out| link(context, groups, text, out));
    replace_all(&patterns.frame, &first[..], second, |groups, text, out| link(context, groups, text, out));
    second
}

fn group<'t>(groups: &CaptureLocations, text: &'t [u8], index: usize) -> Option<&'t [u8]> {
    groups.get(index).map(|(start, end)| &text[start..end])
}

/// The session, and for a new one the base when the value is relative.
fn put_session(context: &RewriteContext, value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(context.session_path);
    if let SessionKind::New { base } = context.session {
        if value.first() != Some(&b'/') {
            out.extend_from_slice(base);
        }
    }
}

/// Group 1 (the head) + session + group 3 (the value): the old session between them is dropped.
fn link(context: &RewriteContext, groups: &CaptureLocations, text: &[u8], out: &mut Vec<u8>) {
    let head = group(groups, text, 1).unwrap_or_default();
    let value = group(groups, text, 3).unwrap_or_default();
    out.extend_from_slice(head);
    put_session(context, value, out);
    out.extend_from_slice(value);
}

/// Groups 1, 2, 4, [session], 6, 7: the session only when `http-equiv=refresh` (group 2 or 7)
/// is in the tag; otherwise the old session is just dropped.
fn meta(context: &RewriteContext, groups: &CaptureLocations, text: &[u8], out: &mut Vec<u8>) {
    let part = |index| group(groups, text, index);
    let is_refresh = part(2).is_some() || part(7).is_some();
    for index in [1, 2, 4] {
        out.extend_from_slice(part(index).unwrap_or_default());
    }
    let value = part(6).unwrap_or_default();
    if is_refresh {
        put_session(context, value, out);
    }
    out.extend_from_slice(value);
    out.extend_from_slice(part(7).unwrap_or_default());
}

/// Global replacement of `pattern` in `text` into `out`. A match error (PCRE2's limits) leaves
/// the rest of the text as it is.
fn replace_all(pattern: &Regex, text: &[u8], out: &mut Vec<u8>, replace: impl Fn(&CaptureLocations, &[u8], &mut Vec<u8>)) {
    out.clear();
    let mut groups = pattern.capture_locations();
    let mut copied = 0;
    let mut at = 0;
    while at < text.len() {
        let Ok(Some(found)) = pattern.captures_read_at(&mut groups, text, at) else { break };
        out.extend_from_slice(&text[copied..found.start()]);
        replace(&groups, text, out);
        copied = found.end();
        at = found.end().max(found.start() + 1);
    }
    out.extend_from_slice(&text[copied..]);
}

#[cfg(test)]
mod tests;
