//! Pattern A (`<a`/`<area` links, spec §12) for the plain links that make up nearly all of a
//! page, without PCRE2: a PCRE2 call costs about a thousand instructions even JIT-compiled,
//! and a page has a link every couple of hundred bytes.
//!
//! This follows the pattern's first path the way PCRE2's backtracking would (greedy choices
//! first, the lazy gap before `href` one `h` at a time) and answers only where that answer is
//! certain: a match, or no match at all on the line. Wherever backtracking could find
//! something else (an old session whose `[^/]+` runs past a quote, a relative value after it)
//! it says `Unsure`, and the caller asks PCRE2. A property test holds it to PCRE2's answers
//! on the same pattern.

use super::byte_positions::first_of;
use crate::core::clickpath::perl_text::{is_space, is_word, run_len};
use super::{RewriteContext, SessionKind};

/// Pattern A's answer at a tag start, when it is certain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Group 1 (the head, up to and with the own host) is `start..head_end`; group 3 (the
    /// value with its closing quote) is `value_start..end`; the old session between is dropped.
    Link { head_end: usize, value_start: usize, end: usize },
    NoMatch,
    Unsure,
}

fn skip_spaces(text: &[u8], at: usize) -> usize {
    at + text.get(at..).map_or(0, |rest| run_len(rest, is_space))
}

fn starts_caseless(text: &[u8], at: usize, literal: &[u8]) -> bool {
    text.get(at..at + literal.len()).is_some_and(|window| window.eq_ignore_ascii_case(literal))
}

/// Where one try at an `h` of the gap ended.
enum Attempt {
    Link { head_end: usize, value_start: usize, end: usize },
    /// Nothing else can match from this `h`: the gap moves on to the next.
    Fails,
    Unsure,
}

/// Pattern A anchored at `start` (a `<`).
pub fn anchor_at(text: &[u8], start: usize, context: &RewriteContext) -> Shortcut {
    let gap_start = match gap_start(text, start) {
        Some(gap_start) => gap_start,
        None => return Shortcut::Unsure,
    };
    // The lazy gap `[^\n]*?` before `\bhref`: each `h` of the line, in order. Most links
    // start with their `href`: that one is tried without a search.
    let mut from = gap_start;
    if matches!(text.get(gap_start), Some(b'h' | b'H')) {
        match attempt_at_h(text, gap_start, context) {
            Attempt::Link { head_end, value_start, end } => return Shortcut::Link { head_end, value_start, end },
            Attempt::Fails => from += 1,
            Attempt::Unsure => return Shortcut::Unsure,
        }
    }
    while let Some(offset) = first_of(&text[from..], [b'h', b'H', b'\n']) {
        let h = from + offset;
        if text[h] == b'\n' {
            return Shortcut::NoMatch;
        }
        match attempt_at_h(text, h, context) {
            Attempt::Link { head_end, value_start, end } => return Shortcut::Link { head_end, value_start, end },
            Attempt::Fails => from = h + 1,
            Attempt::Unsure => return Shortcut::Unsure,
        }
    }
    Shortcut::NoMatch
}

/// `<\s*a(?:rea)?\s+` from the `<` at `start` (the tag start test already holds): where the
/// gap begins.
fn gap_start(text: &[u8], start: usize) -> Option<usize> {
    // `<a ` then no other space: the common spelling, without the general walk.
    if text.get(start + 1).is_some_and(|&byte| byte | 0x20 == b'a') && text.get(start + 2) == Some(&b' ') && text.get(start + 3).is_some_and(|&byte| !is_space(byte)) {
        return Some(start + 3);
    }
    let mut at = skip_spaces(text, start + 1) + 1;
    if starts_caseless(text, at, b"rea") && text.get(at + 3).is_some_and(|&byte| is_space(byte)) {
        at += 3;
    }
    text.get(at).is_some_and(|&byte| is_space(byte)).then(|| skip_spaces(text, at))
}

/// `\bhref\s*=\s*(["'])(?:https?://HOST)?(?:/+P[^/]+)?VALUE` at the `h` at `h`.
fn attempt_at_h(text: &[u8], h: usize, context: &RewriteContext) -> Attempt {
    if is_word(text[h - 1]) || !is_href(text, h) {
        return Attempt::Fails;
    }
    let equals = skip_spaces(text, h + 4);
    if text.get(equals) != Some(&b'=') {
        return Attempt::Fails;
    }
    let quote_at = skip_spaces(text, equals + 1);
    let quote = match text.get(quote_at) {
        Some(&quote @ (b'"' | b'\'')) => quote,
        _ => return Attempt::Fails,
    };
    let head_end = after_own_host(text, quote_at + 1, context.host);
    // Without its own host the value would start with `http…:`, which no value may: taking
    // the host is the only way on, so its end is certain.
    match after_old_session(text, head_end, context.prefix, quote) {
        OldSession::Absent => match value_end(text, head_end, quote, context.session) {
            Some(end) => Attempt::Link { head_end, value_start: head_end, end },
            None => Attempt::Fails,
        },
        OldSession::Ends(value_start) => match value_end(text, value_start, quote, context.session) {
            Some(end) => Attempt::Link { head_end, value_start, end },
            // A shorter `[^/]+` leaves a value that starts with another byte than `/`: an
            // existing session's value cannot, a new session's can.
            None if context.session == SessionKind::Existing => Attempt::Fails,
            None => Attempt::Unsure,
        },
        OldSession::Unsure => Attempt::Unsure,
    }
}

/// `href` in any case at `at`: four letters, so setting bit 5 of each byte folds exactly
/// their upper case onto their lower case (no other byte lands on `h`, `r`, `e` or `f`).
fn is_href(text: &[u8], at: usize) -> bool {
    text.get(at..at + 4).is_some_and(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]) | 0x2020_2020 == u32::from_le_bytes(*b"href"))
}

/// `(?:https?://HOST)?`, greedy: where the head ends.
fn after_own_host(text: &[u8], at: usize, host: &[u8]) -> usize {
    if !matches!(text.get(at), Some(b'h' | b'H')) {
        return at;
    }
    for scheme in [&b"https://"[..], b"http://"] {
        if starts_caseless(text, at, scheme) && starts_caseless(text, at + scheme.len(), host) {
            return at + scheme.len() + host.len();
        }
    }
    at
}

enum OldSession {
    Absent,
    /// The old session ends at this `/`.
    Ends(usize),
    Unsure,
}

/// `(?:/+P[^/]+)?`, greedy. `[^/]+` runs to the next `/` wherever it is, over quotes and
/// lines: only a run that stays inside the value is certain.
fn after_old_session(text: &[u8], at: usize, prefix: &[u8], quote: u8) -> OldSession {
    let slashes = text[at..].iter().take_while(|&&byte| byte == b'/').count();
    if slashes == 0 {
        return OldSession::Absent;
    }
    if prefix.first().is_none_or(|&first| first == b'/') {
        // Fewer slashes could then match too.
        return OldSession::Unsure;
    }
    if !starts_caseless(text, at + slashes, prefix) {
        return OldSession::Absent;
    }
    let run_start = at + slashes + prefix.len();
    match text[run_start..].iter().position(|&byte| byte == b'/' || byte == quote || byte == b'\n') {
        // `[^/]+` needs a byte before the `/`.
        Some(0) if text[run_start] == b'/' => OldSession::Absent,
        Some(length) if length > 0 && text[run_start + length] == b'/' => OldSession::Ends(run_start + length),
        _ => OldSession::Unsure,
    }
}

/// The value group from `at`: for an existing session `(?!//)/`, for a new one
/// `(?!\w+:|#|//)`, then up to the opening quote on the same line. The end after that quote.
fn value_end(text: &[u8], at: usize, quote: u8, session: SessionKind) -> Option<usize> {
    let rest = &text[at..];
    if rest.starts_with(b"//") {
        return None;
    }
    match session {
        SessionKind::Existing if rest.first() != Some(&b'/') => return None,
        SessionKind::New { .. } => {
            let word = run_len(rest, is_word);
            if rest.first() == Some(&b'#') || (word > 0 && rest.get(word) == Some(&b':')) {
                return None;
            }
        }
        SessionKind::Existing => {}
    }
    let close = first_of(rest, [quote, b'\n'])?;
    (rest[close] == quote).then_some(at + close + 1)
}

#[cfg(test)]
mod tests;
