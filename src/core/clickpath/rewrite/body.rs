//! Links in `text/html` bodies (spec §6), streaming. The body is cut into pieces of up to
//! `PIECE` bytes, each ending before a `<` whose tag is not closed in the piece (that tag starts
//! the next piece), as the Perl module did. The cuts depend only on the content, never on how
//! httpd happens to split it into buckets and brigades: any split gives the same output. At
//! most one piece (plus one over-long tag, up to `MAX_TAG`) is held back.

use std::sync::Arc;

use super::RewriteContext;
use super::patterns::BodyPatterns;
use super::piece::{Matching, rewrite_piece};

pub const PIECE: usize = 1024;
/// A tag longer than this is cut (rewriting inside it may then miss); bounds what is held.
pub const MAX_TAG: usize = 16 * 1024;

#[derive(Debug)]
pub struct BodyRewriter<'a> {
    matching: Matching,
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
    let last_open = memchr::memrchr(b'<', text)?;
    memchr::memchr(b'>', &text[last_open..]).is_none().then_some(last_open)
}

impl<'a> BodyRewriter<'a> {
    /// Compiles the patterns for this response (the filter takes them from a `PatternCache`).
    pub fn new(context: RewriteContext<'a>) -> Result<Self, pcre2::Error> {
        Ok(Self::with_patterns(Arc::new(BodyPatterns::compile(&context)?), context))
    }

    /// With patterns compiled for the same host, prefix and kind of session as `context`.
    pub fn with_patterns(patterns: Arc<BodyPatterns>, context: RewriteContext<'a>) -> Self {
        Self { matching: Matching::new(patterns, &context), context, pending: Vec::new(), scratch: [Vec::new(), Vec::new()] }
    }

    /// Takes the next part of the body; `emit` gets what is final.
    pub fn feed(&mut self, input: &[u8], emit: &mut impl FnMut(&[u8])) {
        if self.pending.is_empty() {
            // Nothing held back: the pieces are cut from the input itself, only the rest is kept.
            let used = rewrite_pieces(&mut self.matching, &self.context, &mut self.scratch, input, false, emit);
            self.pending.extend_from_slice(&input[used..]);
        } else {
            self.pending.extend_from_slice(input);
            self.drain(false, emit);
        }
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
        let used = rewrite_pieces(&mut self.matching, &self.context, &mut self.scratch, &self.pending, at_end, emit);
        self.pending.drain(..used);
    }

}

/// Cuts `text` into pieces and emits them rewritten; at the end of the body, the rest too.
/// Returns how much of `text` was used (the rest waits for more input).
fn rewrite_pieces(matching: &mut Matching, context: &RewriteContext, scratch: &mut [Vec<u8>; 2], text: &[u8], at_end: bool, emit: &mut impl FnMut(&[u8])) -> usize {
    let mut start = 0;
    while start < text.len() {
        match next_cut(&text[start..], at_end) {
            Cut::Wait => break,
            Cut::At(end) => {
                emit(rewrite_piece(matching, context, &text[start..start + end], scratch));
                start += end;
            }
            Cut::Final { at } => {
                if at > 0 {
                    emit(rewrite_piece(matching, context, &text[start..start + at], scratch));
                }
                emit(&text[start + at..]);
                start = text.len();
            }
        }
    }
    start
}

fn next_cut(pending: &[u8], at_end: bool) -> Cut {
    if !at_end && pending.len() < PIECE {
        return Cut::Wait;
    }
    let piece = &pending[..pending.len().min(PIECE)];
    match unclosed_tag_start(piece) {
        None => Cut::At(piece.len()),
        Some(start) if start > 0 => Cut::At(start),
        Some(_) => match memchr::memchr(b'>', &pending[piece.len()..]) {
            Some(close) if piece.len() + close < MAX_TAG => Cut::At(piece.len() + close + 1),
            _ if pending.len() >= MAX_TAG => Cut::At(MAX_TAG),
            _ if at_end => Cut::Final { at: 0 },
            _ => Cut::Wait,
        },
    }
}

#[cfg(test)]
mod tests;
