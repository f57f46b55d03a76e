//! Cookieless visitors across a farm (issue 14): httpd instances that share the daily salt
//! through a real memcached or redis (Debian's packages, started here on free loopback ports)
//! give one visitor the same cookieless ID. With memcached stopped mid-run: an instance that
//! already holds the day's salt goes on with it, one that has none serves requests untracked
//! (`-`) with a warning and no error, and all of them agree again once the cache returns.
//!
//! The outage part waits out the module's timings (20 s back-off, a look at the cache at least
//! once a minute): about 90 seconds.
//!
//! Run: `cargo build --release && cargo test --release --test cookieless_farm`.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use support::client::Request;
use support::httpd::{Httpd, MODULES_DIR, is_root, our_module};

const FILES: &[(&str, &str)] = &[("index.html", "<p>farm</p>\n")];
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 farm";

/// A cache server on 127.0.0.1, stopped on drop.
struct CacheServer {
    program: &'static str,
    port: u16,
    child: Option<Child>,
}

impl CacheServer {
    fn start(program: &'static str, port: u16) -> CacheServer {
        let mut command = Command::new(program);
        match program {
            "memcached" => {
                command.args(["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0"]);
                if is_root() {
                    command.args(["-u", "nobody"]);
                }
            }
            _ => {
                command.args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"]);
            }
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e} (scripts/install-deps.sh test installs it)"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{program} did not listen on port {port}");
            sleep(Duration::from_millis(50));
        }
        CacheServer { program, port, child: Some(child) }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        self.stop();
        *self = CacheServer::start(self.program, self.port);
    }
}

impl Drop for CacheServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn body(provider: &str, port: u16) -> String {
    let module = format!("{MODULES_DIR}/mod_socache_{provider}.so");
    assert!(Path::new(&module).exists(), "{module} is missing (apache2-bin ships it)");
    format!(
        "LoadModule socache_{provider}_module {module}\n\
         LogLevel warn usertrack:info\n\
         CookielessSaltCache {provider}:127.0.0.1:{port}\n\
         CookielessTracking on\n"
    )
}

/// The `cookie` note of one request from the visitor (`-`: untracked).
fn visit(h: &mut Httpd, user_agent: &str) -> String {
    let req = Request::get("localhost", "/").header("User-Agent", user_agent);
    let res = h.send(&req).unwrap_or_else(|e| panic!("{}: {e}", h.label));
    assert_eq!(res.status, 200, "{}: a cookieless visitor is always served", h.label);
    assert!(res.all("Set-Cookie").is_empty(), "{}: never a Set-Cookie", h.label);
    let line = h.next_notes_line().unwrap_or_else(|e| panic!("{}: {e}", h.label));
    line.rsplit('|').next().unwrap_or("").to_string()
}

fn is_cookieless_id(id: &str) -> bool {
    id.len() == 25
        && id.starts_with("cl-")
        && id[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Several requests (KeepAlive Off: spread over the children) must all give `expected`.
fn assert_all(h: &mut Httpd, expected: &str, what: &str) {
    for n in 0..6 {
        assert_eq!(visit(h, UA), expected, "{}: {what}, request {n}", h.label);
    }
}

fn module_errors(h: &Httpd) -> Vec<String> {
    h.error_log().lines().filter(|l| l.contains("[usertrack:error]")).map(str::to_string).collect()
}

fn two_instances_share_one_id(provider: &str, program: &'static str) {
    let module = our_module();
    let cache = CacheServer::start(program, free_port());
    let mut a = Httpd::start(&format!("cl-{provider}-a"), &module, &body(provider, cache.port), FILES);
    let mut b = Httpd::start(&format!("cl-{provider}-b"), &module, &body(provider, cache.port), FILES);
    let id = visit(&mut a, UA);
    assert!(is_cookieless_id(&id), "{provider}: {id:?} is not a cookieless ID");
    assert_all(&mut a, &id, "the same visitor on A");
    assert_all(&mut b, &id, "the same visitor on B: A's salt, through the cache");
    let other = visit(&mut b, "another browser");
    assert!(is_cookieless_id(&other) && other != id, "{provider}: another User-Agent, another ID ({other})");
    assert_eq!(visit(&mut a, "another browser"), other, "{provider}: and A agrees");
    for h in [&a, &b] {
        assert!(h.crash_lines().is_empty() && module_errors(h).is_empty(), "{}:\n{}", h.label, h.error_log());
    }
}

#[test]
fn memcached_two_instances_share_one_id() {
    two_instances_share_one_id("memcache", "memcached");
}

#[test]
fn redis_two_instances_share_one_id() {
    two_instances_share_one_id("redis", "redis-server");
}

#[test]
fn memcached_outage_and_recovery() {
    let module = our_module();
    let mut cache = CacheServer::start("memcached", free_port());
    let mut a = Httpd::start("cl-outage-a", &module, &body("memcache", cache.port), FILES);
    // Every child of A gets the day's salt while the cache is up.
    let id = visit(&mut a, UA);
    assert!(is_cookieless_id(&id), "{id:?}");
    assert_all(&mut a, &id, "before the outage");

    cache.stop();
    // A holds the salt: it goes on with it.
    assert_all(&mut a, &id, "cache down, A holds the salt");
    // C starts without it: untracked, a warning, no error.
    let mut c = Httpd::start("cl-outage-c", &module, &body("memcache", cache.port), FILES);
    for n in 0..4 {
        assert_eq!(visit(&mut c, UA), "-", "C, cache down, request {n}: untracked");
    }
    let warnings = c.error_log().lines().filter(|l| l.contains("cookieless IDs: the memcache salt cache")).count();
    assert!(warnings >= 1, "C warns that the cache is down:\n{}", c.error_log());
    assert!(warnings <= 2, "C warns at most once a minute per child ({warnings}):\n{}", c.error_log());
    assert!(module_errors(&c).is_empty(), "C: no errors:\n{}", c.error_log());

    // The cache returns, empty. A gives its salt back at its next look; C fetches it after
    // its back-off. Within a minute and a bit, the farm agrees again.
    let returned = Instant::now();
    cache.restart();
    let deadline = returned + Duration::from_secs(100);
    loop {
        sleep(Duration::from_secs(5));
        let on_a: Vec<String> = (0..4).map(|_| visit(&mut a, UA)).collect();
        let on_c: Vec<String> = (0..4).map(|_| visit(&mut c, UA)).collect();
        let all: Vec<&String> = on_a.iter().chain(&on_c).collect();
        if all.iter().all(|v| is_cookieless_id(v) && *v == all[0]) {
            eprintln!("converged {} s after the cache returned on {}", returned.elapsed().as_secs(), all[0]);
            break;
        }
        assert!(Instant::now() < deadline, "no recovery 100 s after the cache returned: A {on_a:?}, C {on_c:?}");
    }
    for h in [&a, &c] {
        assert!(h.crash_lines().is_empty() && module_errors(h).is_empty(), "{}:\n{}", h.label, h.error_log());
    }
}

/// The default cache (shmcb) is made anew at every restart: the parent carries the day's salt
/// over, so a visitor keeps the ID across a restart (SIGHUP: every child is replaced; a graceful
/// restart, SIGUSR1, goes through the same path) and a graceful one.
#[test]
fn shmcb_keeps_the_days_salt_across_restarts() {
    let module = our_module();
    let body = format!(
        "LoadModule socache_shmcb_module {MODULES_DIR}/mod_socache_shmcb.so\nLogLevel warn usertrack:info\nCookielessTracking on\n"
    );
    let mut h = Httpd::start("cl-restart", &module, &body, FILES);
    let id = visit(&mut h, UA);
    assert!(is_cookieless_id(&id), "{id:?}");
    assert_all(&mut h, &id, "before the restarts");
    let pid: i32 = std::fs::read_to_string(h.root().join("run/httpd.pid")).unwrap().trim().parse().unwrap();
    for (signal, name) in [(libc::SIGHUP, "restart"), (libc::SIGUSR1, "graceful restart")] {
        let generations_before = h.error_log().matches("resuming normal operations").count();
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "signal the parent {pid}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while h.error_log().matches("resuming normal operations").count() == generations_before {
            assert!(Instant::now() < deadline, "no {name}:\n{}", h.error_log());
            sleep(Duration::from_millis(100));
        }
        // the old generation's children are gone (restart) or finishing (graceful)
        sleep(Duration::from_secs(2));
        assert_all(&mut h, &id, &format!("after a {name}: the day's salt carried over"));
    }
    assert!(h.crash_lines().is_empty() && module_errors(&h).is_empty(), "{}", h.error_log());
}
