//! The ClickPath output filter's streaming link rewriter (`core::clickpath::rewrite::body`).
//! Input (fields as `fuzz_input::fields`): a flags byte (bit 0: a new session, else an
//! existing one; bits 1–2: the request's Host), the split points (each byte the length of the
//! next `feed`, 0 an empty one; the rest of the body follows in one), then the body. Fed in
//! those pieces the rewriter gives exactly what it gives for the body fed whole, never panics,
//! holds nothing back after `finish`, and emits nothing but the body's bytes (some of them
//! dropped: old sessions) and whole copies of the session path and, for a new session, the
//! base. The session path and the base end with the bytes 0x00 and 0x01, which the body never
//! holds (they are mapped to 0x02), so that every inserted copy can be found and checked.
#![no_main]

use fuzz_input::fields;
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::clickpath::rewrite::body::BodyRewriter;
use mod_usertrack::core::clickpath::rewrite::cache::PatternCache;
use mod_usertrack::core::clickpath::rewrite::{RewriteContext, SessionKind};

const SESSION_PATH: &[u8] = b"/-S:s9NNNd:ID\x00";
const BASE: &[u8] = b"/dir/\x01";
const HOSTS: [&[u8]; 4] = [b"", b"h", b"www.example.com:8080", b"H\xe9.x"];

/// The patterns compiled once per host and kind, as the filter keeps them.
fn patterns() -> &'static PatternCache {
    static PATTERNS: std::sync::OnceLock<PatternCache> = std::sync::OnceLock::new();
    PATTERNS.get_or_init(PatternCache::default)
}

fn rewrite(context: RewriteContext, pieces: &[&[u8]]) -> Vec<u8> {
    let patterns = patterns().body(&context).expect("the patterns compile for any host");
    let mut rewriter = BodyRewriter::with_patterns(patterns, context);
    let mut out = Vec::new();
    let mut emit = |bytes: &[u8]| out.extend_from_slice(bytes);
    for piece in pieces {
        rewriter.feed(piece, &mut emit);
    }
    rewriter.finish(&mut emit);
    assert_eq!(rewriter.pending_len(), 0, "nothing held back after finish");
    out
}

/// The output without the inserted copies; panics on a marker byte that does not end one.
fn without_insertions(output: &[u8]) -> Vec<u8> {
    let mut kept = Vec::with_capacity(output.len());
    for &byte in output {
        kept.push(byte);
        for token in [SESSION_PATH, BASE] {
            if byte == token[token.len() - 1] {
                assert!(kept.ends_with(token), "a marker byte outside a whole copy of {token:?}: {:?}", String::from_utf8_lossy(output));
                kept.truncate(kept.len() - token.len());
            }
        }
    }
    kept
}

fn is_subsequence(part: &[u8], whole: &[u8]) -> bool {
    let mut whole = whole.iter();
    part.iter().all(|byte| whole.any(|other| other == byte))
}

fuzz_target!(|data: &[u8]| {
    let [flags, splits, body] = fields::<3>(data);
    let flags = flags.first().copied().unwrap_or(0);
    let body: Vec<u8> = body.iter().map(|&byte| if byte <= 1 { 2 } else { byte }).collect();
    let session = if flags & 1 == 1 { SessionKind::New { base: BASE } } else { SessionKind::Existing };
    let context = RewriteContext { host: HOSTS[usize::from(flags >> 1 & 3)], prefix: b"-S:", session_path: SESSION_PATH, session };

    let whole = rewrite(context, &[&body]);
    let mut pieces = Vec::new();
    let mut rest = &body[..];
    for &len in splits {
        let (piece, after) = rest.split_at(usize::from(len).min(rest.len()));
        pieces.push(piece);
        rest = after;
    }
    pieces.push(rest);
    let split = rewrite(context, &pieces);
    assert!(whole == split, "split {splits:?} changed the output:\n{:?}\n{:?}", String::from_utf8_lossy(&whole), String::from_utf8_lossy(&split));

    let kept = without_insertions(&whole);
    assert!(is_subsequence(&kept, &body), "bytes not in the body: {:?}", String::from_utf8_lossy(&whole));
});
