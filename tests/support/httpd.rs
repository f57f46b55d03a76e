//! Start/stop a real `apache2` (prefork MPM, foreground) on 127.0.0.1 with a
//! generated config in a fresh temp dir; run `apache2 -t` on a config.

use std::fs;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tmp::TempDir;

pub const MODULES_DIR: &str = "/usr/lib/apache2/modules";

/// Lines that must never appear in an error log after a run.
pub const CRASH_MARKERS: [&str; 4] = ["exit signal", "panic", "Segmentation fault", "AH00052"];

pub fn apache2_bin() -> PathBuf {
    let p =
        PathBuf::from(std::env::var_os("APACHE2").unwrap_or_else(|| "/usr/sbin/apache2".into()));
    assert!(
        p.is_file(),
        "{} not found: install apache2 (`make test` installs it via scripts/install-deps.sh test)",
        p.display()
    );
    p
}

/// The stock C module (env STOCK_MODULE_SO, default Debian's).
pub fn stock_module() -> PathBuf {
    let p = PathBuf::from(
        std::env::var_os("STOCK_MODULE_SO")
            .unwrap_or_else(|| format!("{MODULES_DIR}/mod_usertrack.so").into()),
    );
    assert!(
        p.is_file(),
        "stock module {} not found: install apache2 (`make test` installs it)",
        p.display()
    );
    p
}

/// The module under test (env MODULE_SO, default release/libmod_usertrack.so in
/// CARGO_TARGET_DIR, or else in the crate's target directory).
pub fn our_module() -> PathBuf {
    built_module("MODULE_SO", "release", "`cargo build --release`")
}

/// A module cargo built: `$env` if set, else `<profile_dir>/libmod_usertrack.so` in
/// CARGO_TARGET_DIR (or the crate's target directory); `build` says how to make it.
pub fn built_module(env: &str, profile_dir: &str, build: &str) -> PathBuf {
    let p = match std::env::var_os(env) {
        Some(v) => PathBuf::from(v),
        None => std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
            .join(profile_dir)
            .join("libmod_usertrack.so"),
    };
    assert!(
        p.is_file(),
        "module under test {} not found: run {build} first (`make test` does), or set {env}",
        p.display()
    );
    p
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// The shared config template. Only `module_so` differs between a stock and
/// an ours server, so line numbers are identical. In `body`, `@ROOT@`,
/// `@DOCROOT@` and `@PORT@` are replaced.
pub fn config_text(root: &Path, port: u16, module_so: &Path, body: &str) -> String {
    config_text_mpm(root, port, module_so, body, "prefork")
}

/// `config_text` with another MPM (`worker`, `event`): its module and thread settings instead
/// of prefork's (2 children of 4 threads).
pub fn config_text_mpm(root: &Path, port: u16, module_so: &Path, body: &str, mpm: &str) -> String {
    let text = prefork_config_text(root, port, module_so, body);
    if mpm == "prefork" {
        return text;
    }
    text.replacen("mpm_prefork_module", &format!("mpm_{mpm}_module"), 1)
        .replacen("mod_mpm_prefork.so", &format!("mod_mpm_{mpm}.so"), 1)
        .replacen(
            "MinSpareServers 1\nMaxSpareServers 2\n",
            "ThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 8\n",
            1,
        )
}

fn prefork_config_text(root: &Path, port: u16, module_so: &Path, body: &str) -> String {
    let root = root.display().to_string();
    let docroot = format!("{root}/htdocs");
    let user = if is_root() {
        "User www-data\nGroup www-data\n"
    } else {
        ""
    };
    let m = MODULES_DIR;
    let head = format!(
        r#"ServerRoot "{root}"
LoadModule mpm_prefork_module {m}/mod_mpm_prefork.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule mime_module {m}/mod_mime.so
LoadModule dir_module {m}/mod_dir.so
LoadModule rewrite_module {m}/mod_rewrite.so
LoadModule include_module {m}/mod_include.so
LoadModule usertrack_module {module}
{user}Listen 127.0.0.1:{port}
ServerName localhost
PidFile {root}/run/httpd.pid
DefaultRuntimeDir {root}/run
ErrorLog {root}/logs/error.log
LogLevel warn
StartServers 2
MinSpareServers 1
MaxSpareServers 2
MaxRequestWorkers 8
KeepAlive Off
TypesConfig /etc/mime.types
DocumentRoot "{docroot}"
DirectoryIndex index.html
LogFormat "%{{cookie}}n|%r|%>s" diff
LogFormat "%v|%{{Apache}}n|%<{{cookie}}n|%{{cookie}}n" notes
CustomLog {root}/logs/access.log diff
CustomLog {root}/logs/notes.log notes
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{docroot}">
    AllowOverride None
    Require all granted
</Directory>
"#,
        module = module_so.display(),
    );
    let body = body
        .replace("@DOCROOT@", &docroot)
        .replace("@ROOT@", &root)
        .replace("@PORT@", &port.to_string());
    format!("{head}{body}\n")
}

/// mtime given to every docroot file (2020-01-01T00:00:00Z), so that
/// Last-Modified and conditional requests do not depend on when a test ran.
pub const DOC_MTIME: i64 = 1_577_836_800;

fn prepare_root(label: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(label);
    if is_root() {
        // httpd children run as www-data: every ancestor must be traversable.
        let mut p = dir.path().parent();
        while let Some(d) = p {
            let mode = fs::metadata(d).map(|m| m.permissions().mode()).unwrap_or(0);
            assert!(
                mode & 0o001 != 0,
                "{} is not traversable by other users (mode {mode:o}); httpd children running as \
                 www-data could not read the docroot: set TMPDIR to a world-traversable dir such as /tmp",
                d.display()
            );
            p = d.parent();
        }
    }
    dir.mkdir("htdocs");
    dir.mkdir("logs");
    dir.mkdir("run");
    let mtime = std::time::UNIX_EPOCH + Duration::from_secs(DOC_MTIME as u64);
    for (rel, contents) in files {
        let p = dir.write(&format!("htdocs/{rel}"), contents);
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(mtime))
            .unwrap_or_else(|e| panic!("set mtime of {}: {e}", p.display()));
    }
    dir
}

/// Result of `apache2 -t -f CONF`.
pub struct ConfigTest {
    pub status: Option<i32>,
    pub output: String,
    pub conf: PathBuf,
    _dir: TempDir,
}

impl ConfigTest {
    pub fn run(label: &str, module_so: &Path, body: &str) -> ConfigTest {
        let dir = prepare_root(label, &[("index.html", "index\n")]);
        let conf = dir.path().join("httpd.conf");
        // A port is needed only syntactically; -t does not bind.
        fs::write(&conf, config_text(dir.path(), 9, module_so, body)).expect("write conf");
        let out = Command::new(apache2_bin())
            .arg("-t")
            .arg("-f")
            .arg(&conf)
            .stdin(Stdio::null())
            .output()
            .expect("run apache2 -t");
        let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stderr));
        ConfigTest {
            status: out.status.code(),
            output,
            conf,
            _dir: dir,
        }
    }

    /// `(line, message)` from `AH00526: Syntax error on line N of FILE:` + next line.
    pub fn syntax_error(&self) -> Option<(u32, String)> {
        let lines: Vec<&str> = self.output.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains("AH00526: Syntax error on line "))?;
        let rest = lines[i].split("AH00526: Syntax error on line ").nth(1)?;
        let (n, file) = rest.split_once(" of ")?;
        let file = file.trim_end_matches(':');
        if Path::new(file) != self.conf {
            return Some((0, format!("(error reported in unexpected file {file})")));
        }
        Some((
            n.parse().ok()?,
            lines.get(i + 1).copied().unwrap_or("").to_string(),
        ))
    }

    /// The output with this config's path replaced by `CONF`.
    pub fn normalised_output(&self) -> String {
        self.output
            .replace(&self.conf.display().to_string(), "CONF")
    }
}

/// How `Httpd::start_with` starts a server beyond `start`'s defaults.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `prefork` (the default), `worker` or `event`.
    pub mpm: Option<&'static str>,
    /// Environment variables for the server process and its children.
    pub env: Vec<(String, String)>,
}

/// A running httpd. Stopped (SIGTERM, then SIGKILL of its process group) on Drop.
pub struct Httpd {
    pub label: String,
    pub port: u16,
    pub conf: PathBuf,
    child: Child,
    access_pos: usize,
    notes_pos: usize,
    dir: TempDir,
}

impl Httpd {
    /// Starts `apache2 -f CONF -DFOREGROUND` with `body` appended to the
    /// template and `files` (relative to the docroot) written world-readable.
    pub fn start(label: &str, module_so: &Path, body: &str, files: &[(&str, &str)]) -> Httpd {
        Self::start_with(label, module_so, body, files, &Options::default())
    }

    /// `start` with another MPM or environment variables for the server.
    pub fn start_with(
        label: &str,
        module_so: &Path,
        body: &str,
        files: &[(&str, &str)],
        options: &Options,
    ) -> Httpd {
        let mut last_err = String::new();
        for _attempt in 0..3 {
            match Self::try_start(label, module_so, body, files, options) {
                Ok(h) => return h,
                Err(e) => {
                    let retry = e.contains("Address already in use");
                    last_err = e;
                    if !retry {
                        break;
                    }
                }
            }
        }
        panic!("httpd {label} ({}) did not start:\n{last_err}", module_so.display());
    }

    fn try_start(
        label: &str,
        module_so: &Path,
        body: &str,
        files: &[(&str, &str)],
        options: &Options,
    ) -> Result<Httpd, String> {
        let dir = prepare_root(label, files);
        let port = free_port();
        let conf = dir.path().join("httpd.conf");
        let mpm = options.mpm.unwrap_or("prefork");
        fs::write(&conf, config_text_mpm(dir.path(), port, module_so, body, mpm)).expect("write conf");
        let stdio = fs::File::create(dir.path().join("logs/stdio.log")).expect("create stdio.log");
        let child = Command::new(apache2_bin())
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdio.try_clone().expect("dup"))
            .stderr(stdio)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawn apache2: {e}"))?;
        let mut h = Httpd {
            label: label.to_string(),
            port,
            conf,
            child,
            access_pos: 0,
            notes_pos: 0,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = h.child.try_wait() {
                return Err(format!(
                    "apache2 exited with {status}:\n{}",
                    h.startup_output()
                ));
            }
            if h.dir.path().join("run/httpd.pid").exists()
                && TcpStream::connect_timeout(
                    &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                    Duration::from_millis(500),
                )
                .is_ok()
            {
                return Ok(h);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "port {port} not accepting after 20 s:\n{}",
                    h.startup_output()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The parent process (SIGUSR1 = `apache2 -k graceful`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn docroot(&self) -> PathBuf {
        self.dir.path().join("htdocs")
    }

    fn read(&self, rel: &str) -> String {
        fs::read(self.dir.path().join(rel))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// stdout/stderr of the server process (config-time messages land here).
    pub fn stdio_log(&self) -> String {
        self.read("logs/stdio.log")
    }

    pub fn error_log(&self) -> String {
        self.read("logs/error.log")
    }

    fn startup_output(&self) -> String {
        format!(
            "--- stdio ---\n{}--- error.log ---\n{}",
            self.stdio_log(),
            self.error_log()
        )
    }

    /// Crash markers found in the error log / stdio, one string per offending line.
    pub fn crash_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for text in [self.error_log(), self.stdio_log()] {
            for l in text.lines() {
                if CRASH_MARKERS.iter().any(|m| l.contains(m)) {
                    out.push(format!("{}: {l}", self.label));
                }
            }
        }
        out
    }

    pub fn send(&self, req: &super::client::Request) -> Result<super::client::Response, String> {
        super::client::send(self.port, req)
    }

    fn next_line(&mut self, rel: &str, notes: bool) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut buf = Vec::new();
            if let Ok(mut f) = fs::File::open(self.dir.path().join(rel)) {
                let _ = f.read_to_end(&mut buf);
            }
            let pos = if notes {
                self.notes_pos
            } else {
                self.access_pos
            };
            if buf.len() > pos
                && let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n')
            {
                let line = String::from_utf8_lossy(&buf[pos..pos + nl]).into_owned();
                if notes {
                    self.notes_pos = pos + nl + 1;
                } else {
                    self.access_pos = pos + nl + 1;
                }
                return Ok(line);
            }
            if Instant::now() > deadline {
                return Err(format!("no new line in {rel} after 10 s"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Next unread line of the access log (`%{cookie}n|%r|%>s`), polled (bounded).
    pub fn next_access_line(&mut self) -> Result<String, String> {
        self.next_line("logs/access.log", false)
    }

    /// Next unread line of the notes log (`%v|%{Apache}n|%<{cookie}n|%{cookie}n`).
    pub fn next_notes_line(&mut self) -> Result<String, String> {
        self.next_line("logs/notes.log", true)
    }

    fn stop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        if let Ok(Some(_)) = self.child.try_wait() {
            // parent gone; orphaned children would still hold the group id
            // SAFETY: plain kill(2) calls on our own process group.
            unsafe {
                if libc::kill(-pid, 0) == 0 {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
            return;
        }
        // SIGTERM to the parent = `apache2 -k stop`: it stops its children.
        // SAFETY: pid is our unreaped child, so it cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    // SAFETY: the parent is not reaped yet, so the group id is still ours.
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        // SAFETY: only signals the group if members (orphaned children) remain.
        unsafe {
            if libc::kill(-pid, 0) == 0 {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for Httpd {
    fn drop(&mut self) {
        self.stop();
    }
}
