//! A server's ClickPath config once httpd has read it all (`ServerClickPath::Ready`): the
//! cipher built from the secret and IV, and the tables of the `*File` directives, read again
//! when the files change (per process, shared by its threads). A process looks at a file's
//! modification time at most once per second (the first request of each second): an edit takes
//! effect within a second, and the other requests cost no `stat`.

use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use super::file_reload::{FileTable, Mtime};
use super::friendly_table::FriendlyTable;
use super::rewrite::cache::PatternCache;
use super::rewrite::patterns::HeaderPatterns;
use super::secret::SessionCipher;
use super::settings::ClickPathSettings;
use super::translate::ActiveConfig;
use super::ua_exceptions::UaExceptions;

#[derive(Debug)]
pub struct ReadyClickPath {
    pub settings: ClickPathSettings,
    pub cipher: Option<SessionCipher>,
    ua_file: WatchedFile<UaExceptions>,
    friendly_file: WatchedFile<FriendlyTable>,
    /// The output filter's compiled link patterns (per process, not per response).
    pub link_patterns: PatternCache,
    /// The output filter's compiled `Location`/`Refresh` patterns, kept the same way.
    pub header_patterns: PatternCache<HeaderPatterns>,
}

/// The table a request uses: the container's, or the file's as last read.
pub enum TableInUse<'a, T> {
    Container(&'a T),
    File(Arc<T>),
}

impl<T> Deref for TableInUse<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Self::Container(table) => table,
            Self::File(table) => table,
        }
    }
}

/// How the embedder reaches the file system, and the request's time.
pub trait FileAccess {
    fn mtime(&self, path: &[u8]) -> Option<Mtime>;
    fn read(&self, path: &[u8]) -> Option<Vec<u8>>;
    /// The current request's time, in seconds.
    fn now(&self) -> i64;
}

/// What a process read from a `*File` directive's file, and the second it last looked.
#[derive(Debug)]
struct WatchedFile<T> {
    state: RwLock<FileTable<Arc<T>>>,
    checked_in_second: AtomicI64,
}

impl<T> Default for WatchedFile<T> {
    fn default() -> Self {
        Self { state: RwLock::new(FileTable::Absent), checked_in_second: AtomicI64::new(i64::MIN) }
    }
}

/// The file's table if it exists (reading it again when newer), else the container's. The
/// file is stat'ed by the first request of a second only; the others of that second use what
/// is held (a request racing the one that reads may still get the previous table).
fn table_in_use<'a, T>(
    file: &WatchedFile<T>,
    path: Option<&[u8]>,
    container: &'a T,
    files: &impl FileAccess,
    parse: impl FnOnce(&[u8]) -> Option<T>,
) -> TableInUse<'a, T> {
    let Some(path) = path else { return TableInUse::Container(container) };
    let current = |state: &FileTable<Arc<T>>| state.table().map_or(TableInUse::Container(container), |table| TableInUse::File(Arc::clone(table)));
    let now = files.now();
    if file.checked_in_second.swap(now, Ordering::Relaxed) == now {
        return current(&file.state.read().unwrap_or_else(|poisoned| poisoned.into_inner()));
    }
    let stat = files.mtime(path);
    {
        let state = file.state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.decide(stat) == super::file_reload::Reload::Keep {
            return current(&state);
        }
    }
    let mut state = file.state.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Another thread may have read it meanwhile: decide again under the write lock.
    let decision = state.decide(stat);
    state.apply(decision, stat, || files.read(path).and_then(|content| parse(&content)).map(Arc::new));
    current(&state)
}

impl ReadyClickPath {
    pub fn new(settings: ClickPathSettings) -> Self {
        Self {
            cipher: settings.cipher(),
            settings,
            ua_file: WatchedFile::default(),
            friendly_file: WatchedFile::default(),
            link_patterns: PatternCache::default(),
            header_patterns: PatternCache::default(),
        }
    }

    /// A file whose regexes do not compile counts as unreadable.
    pub fn ua_exceptions(&self, files: &impl FileAccess) -> TableInUse<'_, UaExceptions> {
        let settings = &self.settings;
        table_in_use(&self.ua_file, settings.ua_exceptions_file.as_deref(), &settings.ua_exceptions, files, |text| UaExceptions::parse(text).ok())
    }

    pub fn friendly(&self, files: &impl FileAccess) -> TableInUse<'_, FriendlyTable> {
        let settings = &self.settings;
        table_in_use(&self.friendly_file, settings.friendly_file.as_deref(), &settings.friendly, files, |text| Some(FriendlyTable::parse(text)))
    }

    /// The config a request is translated with; `None` when there is no prefix.
    pub fn active<'a>(&'a self, ua_exceptions: &'a UaExceptions, friendly: &'a FriendlyTable) -> Option<ActiveConfig<'a>> {
        let settings = &self.settings;
        Some(ActiveConfig {
            prefix: settings.prefix.as_deref()?,
            max_age: settings.max_age,
            ua_exceptions,
            friendly,
            machine: settings.machine.as_deref(),
            machine_table: settings.machine_table.as_ref(),
            cipher: self.cipher.as_ref(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use super::*;
    use crate::core::clickpath::settings::TextDirective;

    #[derive(Default)]
    struct FakeFiles {
        files: RefCell<HashMap<Vec<u8>, (i128, Vec<u8>)>>,
        reads: RefCell<usize>,
        stats: Cell<usize>,
        now: Cell<i64>,
    }

    impl FileAccess for FakeFiles {
        fn mtime(&self, path: &[u8]) -> Option<Mtime> {
            self.stats.set(self.stats.get() + 1);
            self.files.borrow().get(path).map(|(mtime, _)| Mtime(*mtime))
        }
        fn read(&self, path: &[u8]) -> Option<Vec<u8>> {
            *self.reads.borrow_mut() += 1;
            self.files.borrow().get(path).map(|(_, content)| content.clone())
        }
        fn now(&self) -> i64 {
            self.now.get()
        }
    }

    fn ready() -> ReadyClickPath {
        let mut settings = ClickPathSettings::default();
        settings.apply_text(TextDirective::SessionPrefix, b"-S:").unwrap();
        settings.set_ua_exceptions(b"container Bot\n").unwrap();
        settings.apply_text(TextDirective::UaExceptionsFile, b"/ua").unwrap();
        ReadyClickPath::new(settings)
    }

    #[test]
    fn the_exceptions_file_overrides_while_it_exists() {
        let ready = ready();
        let files = FakeFiles::default();
        let crawler = |files: &FakeFiles| {
            files.now.set(files.now.get() + 1);
            ready.ua_exceptions(files).crawler_name(b"Bot").map(<[u8]>::to_vec)
        };
        assert_eq!(crawler(&files), Some(b"container".to_vec()), "no file yet");
        files.files.borrow_mut().insert(b"/ua".to_vec(), (1, b"fromfile Bot\n".to_vec()));
        assert_eq!(crawler(&files), Some(b"fromfile".to_vec()));
        assert_eq!(crawler(&files), Some(b"fromfile".to_vec()));
        assert_eq!(*files.reads.borrow(), 1, "read once while unchanged");
        files.files.borrow_mut().insert(b"/ua".to_vec(), (2, b"".to_vec()));
        assert_eq!(crawler(&files), None, "an empty file still replaces the container");
        files.files.borrow_mut().insert(b"/ua".to_vec(), (3, b"bad (\n".to_vec()));
        assert_eq!(crawler(&files), None, "a file that does not compile keeps the last good one");
        files.files.borrow_mut().clear();
        assert_eq!(crawler(&files), Some(b"container".to_vec()), "gone: the container again");
    }

    #[test]
    fn the_file_is_looked_at_once_per_second() {
        let ready = ready();
        let files = FakeFiles::default();
        files.files.borrow_mut().insert(b"/ua".to_vec(), (1, b"fromfile Bot\n".to_vec()));
        let crawler = |files: &FakeFiles| ready.ua_exceptions(files).crawler_name(b"Bot").map(<[u8]>::to_vec);
        files.now.set(100);
        assert_eq!(crawler(&files), Some(b"fromfile".to_vec()));
        files.files.borrow_mut().insert(b"/ua".to_vec(), (2, b"edited Bot\n".to_vec()));
        assert_eq!(crawler(&files), Some(b"fromfile".to_vec()), "the same second: not looked at again");
        assert_eq!(files.stats.get(), 1);
        files.now.set(101);
        assert_eq!(crawler(&files), Some(b"edited".to_vec()), "the next second: the edit is read");
        files.files.borrow_mut().clear();
        assert_eq!(crawler(&files), Some(b"edited".to_vec()));
        files.now.set(102);
        assert_eq!(crawler(&files), Some(b"container".to_vec()), "gone, seen the next second");
        assert_eq!(files.stats.get(), 3);
    }

    #[test]
    fn no_prefix_no_active_config() {
        let ready = ReadyClickPath::new(ClickPathSettings::default());
        let files = FakeFiles::default();
        let (ua, friendly) = (ready.ua_exceptions(&files), ready.friendly(&files));
        assert!(ready.active(&ua, &friendly).is_none());
        let ready = self::ready();
        let (ua, friendly) = (ready.ua_exceptions(&files), ready.friendly(&files));
        assert_eq!(ready.active(&ua, &friendly).unwrap().prefix, b"-S:");
    }
}
