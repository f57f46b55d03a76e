//! Hand-written temp dir (no tempfile crate): world-readable so that httpd
//! children running as `www-data` can read the docroot; removed on Drop.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static SEQ: AtomicUsize = AtomicUsize::new(0);

pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/ut-<label>-<pid>-<seq>-<nanos>` with mode 0755.
    pub fn new(label: &str) -> TempDir {
        let base = std::env::temp_dir();
        let label: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        for _ in 0..100 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let p = base.join(format!(
                "ut-{label}-{}-{}-{nanos:x}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::SeqCst)
            ));
            match fs::create_dir(&p) {
                Ok(()) => {
                    fs::set_permissions(&p, fs::Permissions::from_mode(0o755))
                        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
                    return TempDir { path: p };
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create temp dir {}: {e}", p.display()),
            }
        }
        panic!("cannot create a unique temp dir under {}", base.display());
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a directory (and parents) below the temp dir, mode 0755.
    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path.join(rel);
        fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        let mut cur = p.as_path();
        while cur != self.path {
            let _ = fs::set_permissions(cur, fs::Permissions::from_mode(0o755));
            match cur.parent() {
                Some(parent) => cur = parent,
                None => break,
            }
        }
        p
    }

    /// Writes a world-readable file (mode 0644) below the temp dir, creating parents.
    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let p = self.path.join(rel);
        if let Some(parent) = p.parent()
            && parent != self.path
        {
            let rel_parent = parent.strip_prefix(&self.path).unwrap();
            self.mkdir(rel_parent.to_str().unwrap());
        }
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("UT_KEEP_TMP").is_some_and(|v| v == "1") {
            eprintln!("keeping {}", self.path.display());
            return;
        }
        let _ = fs::remove_dir_all(&self.path);
    }
}
