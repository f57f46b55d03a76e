//! The file system as the reloadable tables see it: a `stat` per file by the first request of
//! each second (`core::clickpath::ready`), and a read when the file changed.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::core::clickpath::file_reload::Mtime;
use crate::core::clickpath::ready::FileAccess;

/// For one request: `now` is its time in seconds.
pub struct RealFiles {
    pub now: i64,
}

impl FileAccess for RealFiles {
    fn mtime(&self, path: &[u8]) -> Option<Mtime> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(Path::new(std::ffi::OsStr::from_bytes(path))).ok()?;
        Some(Mtime(i128::from(metadata.mtime()) * 1_000_000_000 + i128::from(metadata.mtime_nsec())))
    }

    fn read(&self, path: &[u8]) -> Option<Vec<u8>> {
        std::fs::read(Path::new(std::ffi::OsStr::from_bytes(path))).ok()
    }

    fn now(&self) -> i64 {
        self.now
    }
}
