//! The compiled body and header patterns, kept per process instead of compiled for every
//! response (one cache of each).
//! The patterns depend on the request's `Host` (quoted into them), the prefix and whether the
//! session is new; a server sees few hosts, so a small table keyed by those holds them. It is
//! owned by the server's `ReadyClickPath` (in the config pool, per process, shared by its
//! threads), never by a static: a graceful restart or a reload of the DSO drops it with the
//! config. The `Host` header is the client's to choose, so the table is bounded: past
//! `CAPACITY` hosts the least recently used entry makes room, and a response is then no worse
//! off than when every response compiled its own.

use std::sync::{Arc, Mutex};

use super::patterns::{BodyPatterns, HeaderPatterns};
use super::{RewriteContext, SessionKind};

pub const CAPACITY: usize = 16;

#[derive(Debug)]
struct Entry<P> {
    host: Box<[u8]>,
    prefix: Box<[u8]>,
    new_session: bool,
    patterns: Arc<P>,
    last_use: u64,
}

#[derive(Debug)]
pub struct PatternCache<P = BodyPatterns> {
    state: Mutex<State<P>>,
}

#[derive(Debug)]
struct State<P> {
    entries: Vec<Entry<P>>,
    clock: u64,
}

impl<P> Default for PatternCache<P> {
    fn default() -> Self {
        Self { state: Mutex::new(State { entries: Vec::new(), clock: 0 }) }
    }
}

impl PatternCache<BodyPatterns> {
    /// The body patterns for `context`, compiled on the first use of its host, prefix and kind.
    pub fn body(&self, context: &RewriteContext) -> Result<Arc<BodyPatterns>, pcre2::Error> {
        self.get_or_compile(context, BodyPatterns::compile)
    }
}

impl PatternCache<HeaderPatterns> {
    /// The `Location`/`Refresh` patterns for `context`, kept like the body's.
    pub fn headers(&self, context: &RewriteContext) -> Result<Arc<HeaderPatterns>, pcre2::Error> {
        self.get_or_compile(context, HeaderPatterns::compile)
    }
}

impl<P> PatternCache<P> {
    fn get_or_compile(&self, context: &RewriteContext, compile: impl FnOnce(&RewriteContext) -> Result<P, pcre2::Error>) -> Result<Arc<P>, pcre2::Error> {
        let new_session = matches!(context.session, SessionKind::New { .. });
        let matches = |entry: &Entry<P>| entry.new_session == new_session && *entry.host == *context.host && *entry.prefix == *context.prefix;
        {
            let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            state.clock += 1;
            let now = state.clock;
            if let Some(entry) = state.entries.iter_mut().find(|entry| matches(entry)) {
                entry.last_use = now;
                return Ok(Arc::clone(&entry.patterns));
            }
        }
        // Compiled without the lock: another thread may do the same meanwhile; the first kept wins.
        let patterns = Arc::new(compile(context)?);
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = state.clock;
        if let Some(entry) = state.entries.iter().find(|entry| matches(entry)) {
            return Ok(Arc::clone(&entry.patterns));
        }
        let entry = Entry { host: context.host.into(), prefix: context.prefix.into(), new_session, patterns: Arc::clone(&patterns), last_use: now };
        if state.entries.len() < CAPACITY {
            state.entries.push(entry);
        } else if let Some(oldest) = state.entries.iter_mut().min_by_key(|entry| entry.last_use) {
            *oldest = entry;
        }
        Ok(patterns)
    }

    /// How many pattern sets are held.
    pub fn len(&self) -> usize {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(host: &'a [u8], session: SessionKind<'static>) -> RewriteContext<'a> {
        RewriteContext { host, prefix: b"-S:", session_path: b"/-S:ID", session }
    }

    #[test]
    fn one_compilation_per_host_and_kind() {
        let cache = PatternCache::default();
        let new = SessionKind::New { base: b"/a/" };
        let first = cache.body(&context(b"h", SessionKind::Existing)).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.body(&context(b"h", SessionKind::Existing)).unwrap()));
        let other_base = cache.body(&context(b"h", new)).unwrap();
        assert!(!Arc::ptr_eq(&first, &other_base), "new sessions have their own patterns");
        assert!(Arc::ptr_eq(&other_base, &cache.body(&context(b"h", SessionKind::New { base: b"/b/" })).unwrap()), "the base is not in them");
        assert!(!Arc::ptr_eq(&first, &cache.body(&context(b"H", SessionKind::Existing)).unwrap()), "hosts are quoted, not folded");
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn header_patterns_are_kept_too() {
        let cache = PatternCache::<HeaderPatterns>::default();
        let first = cache.headers(&context(b"h", SessionKind::Existing)).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.headers(&context(b"h", SessionKind::Existing)).unwrap()));
        assert!(!Arc::ptr_eq(&first, &cache.headers(&context(b"h", SessionKind::New { base: b"/" })).unwrap()));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn bounded_and_the_least_recently_used_goes() {
        let cache = PatternCache::default();
        let kept = cache.body(&context(b"kept", SessionKind::Existing)).unwrap();
        for n in 0..3 * CAPACITY {
            cache.body(&context(format!("h{n}").as_bytes(), SessionKind::Existing)).unwrap();
            assert!(Arc::ptr_eq(&kept, &cache.body(&context(b"kept", SessionKind::Existing)).unwrap()));
            assert!(cache.len() <= CAPACITY);
        }
    }
}
