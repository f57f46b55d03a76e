//! A server's ClickPath config once httpd has read it all (`ServerClickPath::Ready`): the
//! cipher built from the secret and IV, and the tables of the `*File` directives, read again
//! when the files change (per process, shared by its threads).

use std::ops::Deref;
use std::sync::{Arc, RwLock};

use super::file_reload::{FileTable, Mtime};
use super::friendly_table::FriendlyTable;
use super::rewrite::cache::PatternCache;
use super::secret::SessionCipher;
use super::settings::ClickPathSettings;
use super::translate::ActiveConfig;
use super::ua_exceptions::UaExceptions;

#[derive(Debug)]
pub struct ReadyClickPath {
    pub settings: ClickPathSettings,
    pub cipher: Option<SessionCipher>,
    ua_file: RwLock<FileTable<Arc<UaExceptions>>>,
    friendly_file: RwLock<FileTable<Arc<FriendlyTable>>>,
    /// The output filter's compiled link patterns (per process, not per response).
    pub link_patterns: PatternCache,
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

/// How the embedder reaches the file system.
pub trait FileAccess {
    fn mtime(&self, path: &[u8]) -> Option<Mtime>;
    fn read(&self, path: &[u8]) -> Option<Vec<u8>>;
}

/// The file's table if it exists (reading it again when newer), else the container's.
fn table_in_use<'a, T>(
    state: &RwLock<FileTable<Arc<T>>>,
    path: Option<&[u8]>,
    container: &'a T,
    files: &impl FileAccess,
    parse: impl FnOnce(&[u8]) -> Option<T>,
) -> TableInUse<'a, T> {
    let Some(path) = path else { return TableInUse::Container(container) };
    let stat = files.mtime(path);
    let current = |state: &FileTable<Arc<T>>| state.table().map_or(TableInUse::Container(container), |table| TableInUse::File(Arc::clone(table)));
    {
        let state = state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.decide(stat) == super::file_reload::Reload::Keep {
            return current(&state);
        }
    }
    let mut state = state.write().unwrap_or_else(|poisoned| poisoned.into_inner());
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
            ua_file: RwLock::new(FileTable::Absent),
            friendly_file: RwLock::new(FileTable::Absent),
            link_patterns: PatternCache::default(),
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
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;
    use crate::core::clickpath::settings::TextDirective;

    #[derive(Default)]
    struct FakeFiles {
        files: RefCell<HashMap<Vec<u8>, (i128, Vec<u8>)>>,
        reads: RefCell<usize>,
    }

    impl FileAccess for FakeFiles {
        fn mtime(&self, path: &[u8]) -> Option<Mtime> {
            self.files.borrow().get(path).map(|(mtime, _)| Mtime(*mtime))
        }
        fn read(&self, path: &[u8]) -> Option<Vec<u8>> {
            *self.reads.borrow_mut() += 1;
            self.files.borrow().get(path).map(|(_, content)| content.clone())
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
        let crawler = |files: &FakeFiles| ready.ua_exceptions(files).crawler_name(b"Bot").map(<[u8]>::to_vec);
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
