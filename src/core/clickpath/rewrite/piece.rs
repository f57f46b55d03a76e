//! One piece of an HTML body rewritten (spec §6, patterns §12): the four patterns applied in
//! the Perl module's order (A, META, FORM, FRAME), each replacing globally. A pattern is tried
//! only where its tag starts (`tag_start.rs`), anchored; plain links are answered by
//! `anchor_shortcut.rs` and everything else by PCRE2 (JIT-compiled, interpreted as a fallback).

use std::sync::Arc;

use pcre2::bytes::CaptureLocations;

use super::anchor_shortcut::{Shortcut, anchor_at};
use super::patterns::BodyPatterns;
use super::byte_positions::BytePositions;
use super::tag_start::{TagKind, TagKinds, tag_kind};
use super::{RewriteContext, SessionKind};

/// What a match changes. Every pattern's groups before the dropped old session are contiguous
/// (A/FORM/FRAME: group 1; META: groups 1, 2, 4), and so are those after it (group 3; groups 6
/// and 7), so a match is: keep up to `head_end`, maybe write the session, go on at `value_start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Splice {
    pub head_end: usize,
    pub value_start: usize,
    pub end: usize,
    /// False for a META without `http-equiv=refresh`: its old session is only dropped.
    pub with_session: bool,
}

impl Splice {
    /// From PCRE2's groups: `head` and `value` are the group numbers (1 and 3, or 4 and 6).
    fn from_groups(kind: TagKind, end: usize, groups: &CaptureLocations) -> Option<Self> {
        let (head, value) = if kind == TagKind::Meta { (4, 6) } else { (1, 3) };
        let with_session = kind != TagKind::Meta || groups.get(2).is_some() || groups.get(7).is_some();
        Some(Self { head_end: groups.get(head)?.1, value_start: groups.get(value)?.0, end, with_session })
    }
}

/// What a pattern says at a tag start.
enum Found {
    Match(Splice),
    NoMatch,
    /// PCRE2 gave up (its limits) even without the JIT.
    GaveUp,
}

/// The compiled patterns, and their captures once PCRE2 is needed.
pub struct Matching {
    patterns: Arc<BodyPatterns>,
    /// PCRE2's match data for the JIT-compiled patterns (index: `TagKind`), made on the first
    /// tag the shortcut leaves to PCRE2: most pages never need it.
    captures: Option<Box<[CaptureLocations; 4]>>,
    /// The same for the interpreted patterns, made when the JIT first gives up on a match.
    interpreted_captures: Option<Box<[CaptureLocations; 4]>>,
    /// What the rewriting writes (own host, session, base) contains a `<`, so a pass could
    /// make a tag start the first pass did not see: every pass then runs.
    may_add_tag_starts: bool,
    /// The session and the base, written before a relative value of a new session.
    session_and_base: Vec<u8>,
}

impl std::fmt::Debug for Matching {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Matching").field("may_add_tag_starts", &self.may_add_tag_starts).finish_non_exhaustive()
    }
}

/// `kind`'s pattern (one of `patterns`) anchored at `at`, with `captures` made on first use.
fn pcre_at(patterns: &[&pcre2::bytes::Regex; 4], captures: &mut Option<Box<[CaptureLocations; 4]>>, kind: TagKind, text: &[u8], at: usize) -> Found {
    let captures = captures.get_or_insert_with(|| Box::new(patterns.map(|pattern| pattern.capture_locations())));
    let groups = &mut captures[kind as usize];
    match patterns[kind as usize].captures_read_at(groups, text, at) {
        Ok(Some(found)) => Splice::from_groups(kind, found.end(), groups).map_or(Found::NoMatch, Found::Match),
        Ok(None) => Found::NoMatch,
        Err(_) => Found::GaveUp,
    }
}

impl Matching {
    pub fn new(patterns: Arc<BodyPatterns>, context: &RewriteContext) -> Self {
        let base = match context.session {
            SessionKind::New { base } => base,
            SessionKind::Existing => b"",
        };
        let may_add_tag_starts = [context.host, context.session_path, base].iter().any(|text| text.contains(&b'<'));
        let session_and_base = [context.session_path, base].concat();
        Self { patterns, captures: None, interpreted_captures: None, may_add_tag_starts, session_and_base }
    }

    /// `kind`'s pattern anchored at `at`: plain links by the shortcut, the rest by PCRE2's JIT,
    /// and by its interpreter where the JIT gives up.
    fn match_at(&mut self, kind: TagKind, context: &RewriteContext, text: &[u8], at: usize) -> Found {
        if kind == TagKind::Anchor {
            match anchor_at(text, at, context) {
                Shortcut::Link { head_end, value_start, end } => return Found::Match(Splice { head_end, value_start, end, with_session: true }),
                Shortcut::NoMatch => return Found::NoMatch,
                Shortcut::Unsure => {}
            }
        }
        let jit = TagKind::ALL.map(|kind| self.patterns.for_tag(kind));
        match pcre_at(&jit, &mut self.captures, kind, text, at) {
            Found::GaveUp => {
                let interpreted = TagKind::ALL.map(|kind| self.patterns.interpreted_for_tag(kind));
                pcre_at(&interpreted, &mut self.interpreted_captures, kind, text, at)
            }
            found => found,
        }
    }

    /// The session, and for a new one the base when the value is relative.
    fn session_for<'s>(&'s self, context: &'s RewriteContext, value: &[u8]) -> &'s [u8] {
        match context.session {
            SessionKind::New { .. } if value.first() != Some(&b'/') => &self.session_and_base,
            _ => context.session_path,
        }
    }

    /// Global replacement of `kind`'s pattern in `text` into `out`, trying it only where its
    /// tag starts; the other tag starts passed are added to `seen`. False (and `out` unused)
    /// when nothing matched. A match error even without the JIT (PCRE2's limits) leaves the
    /// rest of the text as it is.
    fn replace_all(&mut self, kind: TagKind, context: &RewriteContext, text: &[u8], out: &mut Vec<u8>, seen: &mut TagKinds) -> bool {
        let mut matched = false;
        let mut copied = 0;
        // Tags before this are inside an earlier match (quirk 9: a match may span tags); they
        // are still noted in `seen`, as they stay in the text.
        let mut from = 0;
        for at in BytePositions::new(text, b'<') {
            let Some(tag) = tag_kind(&text[at..]) else { continue };
            if tag != kind || at < from {
                seen.insert(tag);
                continue;
            }
            let splice = match self.match_at(kind, context, text, at) {
                Found::Match(splice) => splice,
                Found::NoMatch => continue,
                Found::GaveUp => {
                    // The rest stays as it is, and every later pass runs, as nothing more is
                    // known of the rest.
                    *seen = TagKinds::ALL;
                    break;
                }
            };
            if !matched {
                out.clear();
                matched = true;
            }
            out.extend_from_slice(&text[copied..splice.head_end]);
            if splice.with_session {
                out.extend_from_slice(self.session_for(context, &text[splice.value_start..]));
            }
            copied = splice.value_start;
            from = splice.end;
        }
        if matched {
            out.extend_from_slice(&text[copied..]);
        }
        matched
    }
}

/// Applies the four patterns in order (A, META, FORM, FRAME), each replacing globally, as the
/// Perl module did. The first pass notes which other tags the piece has; a later pass runs
/// only if its tag was seen. Returns `piece` itself when nothing changed.
pub fn rewrite_piece<'s>(matching: &mut Matching, context: &RewriteContext, piece: &'s [u8], scratch: &'s mut [Vec<u8>; 2]) -> &'s [u8] {
    // Where the text is: None = still the piece, Some(i) = scratch[i].
    let mut current: Option<usize> = None;
    let mut seen = TagKinds::ALL;
    for kind in TagKind::ALL {
        if !seen.contains(kind) {
            continue;
        }
        let [even, odd] = &mut *scratch;
        let (text, out, written): (&[u8], &mut Vec<u8>, usize) = match current {
            None => (piece, even, 0),
            Some(0) => (even, odd, 1),
            Some(_) => (odd, even, 0),
        };
        let mut seen_here = TagKinds::default();
        if matching.replace_all(kind, context, text, out, &mut seen_here) {
            current = Some(written);
        }
        if kind == TagKind::Anchor && !matching.may_add_tag_starts {
            seen = seen_here;
        }
    }
    match current {
        None => piece,
        Some(index) => &scratch[index],
    }
}

#[cfg(test)]
mod tests;
