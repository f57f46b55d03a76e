//! Issue 10, part 3: faults. A panic in every hook and config callback, provoked in the
//! fault-injection build (`cargo build --profile fault --features fault-injection`, which `make
//! test` runs; `src/ffi/guard.rs`, `fault_point`), is caught, logged with the module's tag and
//! answered harmlessly: the request is served (untracked where the panic took tracking with it)
//! by the same worker, which serves the next request; a config callback's panic is a clean
//! startup error. ClickPath's entry points too (translate_name, insert_filter, the output
//! filter, its post_config part, its directives). Also: the OS random source failing, key files
//! that cannot be read, out-of-range values, a graceful restart that changes the config under
//! load, and the cookieless path (issue 14): its hook code, the salt cache visit and the salt
//! cache's start-up.
//!
//! The fault build is `$CARGO_TARGET_DIR/fault/libmod_usertrack.so` (or `FAULT_MODULE_SO`);
//! the release build (`MODULE_SO`, as every other test) must not contain the trigger.
//!
//! Run: `cargo build --release && cargo build --profile fault --features fault-injection &&
//! cargo test --release --test faults`.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::client::{Request, Response};
use support::cookie::is_id;
use support::httpd::{Httpd, Options, apache2_bin, built_module, config_text, is_root, our_module};
use support::tmp::TempDir;

const FILES: &[(&str, &str)] = &[
    ("index.html", "<p>faults</p>\n"),
    ("sub/index.html", "<p>sub</p>\n"),
    ("cp/links.html", "<p><a href=\"/x.html\">x</a></p>\n"),
    ("cookieless/index.html", "<p>cookieless</p>\n"),
];

/// One prefork child, so every request is served by the same process (`%P` in the log).
const ONE_CHILD: &str = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\nMaxRequestWorkers 1\n";

/// pid | cookie note | USERTRACK_NEW | status | request line
const FAULT_LOG: &str = "LogFormat \"%P|%{cookie}n|%{USERTRACK_NEW}e|%>s|%r\" faults\n\
                         CustomLog @ROOT@/logs/faults.log faults\n";

/// Lines that mean a process died or a panic escaped its guard.
const DEATH_MARKERS: [&str; 6] = [
    "exit signal",
    "Segmentation fault",
    "AH00052",
    "panic in a function that cannot unwind",
    "Aborted",
    "core dumped",
];

fn fault_module() -> PathBuf {
    built_module("FAULT_MODULE_SO", "fault", "`cargo build --profile fault --features fault-injection`")
}

fn body(extra: &str) -> String {
    format!(
        "{ONE_CHILD}LogLevel warn\nCookieTracking on\n{FAULT_LOG}\
         <Location /denied>\n    Require all denied\n</Location>\n{extra}"
    )
}

fn start(label: &str, module: &Path, extra: &str, env: &[(&str, &str)]) -> Httpd {
    let options = Options {
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Options::default()
    };
    Httpd::start_with(label, module, &body(extra), FILES, &options)
}

struct Served {
    res: Response,
    pid: String,
    note: String,
    new: String,
}

/// Sends `req` and reads its line from the faults log.
fn serve(h: &mut Httpd, req: &Request) -> Served {
    let res = h.send(req).unwrap_or_else(|e| panic!("{}: {}: {e}", h.label, req.describe()));
    let line = next_fault_line(h);
    let f: Vec<&str> = line.splitn(5, '|').collect();
    assert_eq!(f.len(), 5, "{}: bad log line {line:?}", h.label);
    assert_eq!(f[4], req.request_line(), "{}: log line of another request: {line:?}", h.label);
    Served { res, pid: f[0].into(), note: f[1].into(), new: f[2].into() }
}

fn next_fault_line(h: &mut Httpd) -> String {
    let path = h.root().join("logs/faults.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let seen = SEEN.with(|s| *s.borrow().get(&h.port).unwrap_or(&0));
        if lines.len() > seen {
            SEEN.with(|s| s.borrow_mut().insert(h.port, seen + 1));
            return lines[seen].to_string();
        }
        assert!(Instant::now() < deadline, "{}: no new line in faults.log", h.label);
        std::thread::sleep(Duration::from_millis(10));
    }
}

thread_local! {
    static SEEN: std::cell::RefCell<std::collections::HashMap<u16, usize>> = Default::default();
}

/// The first error-log line with the module's tag and `text`, polled (bounded).
fn tagged_error(h: &Httpd, text: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = format!("{}{}", h.error_log(), h.stdio_log());
        if let Some(line) = log.lines().find(|l| l.contains("[usertrack:error]") && l.contains(text)) {
            return Some(line.to_string());
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_no_death(h: &Httpd) {
    let log = format!("{}{}", h.error_log(), h.stdio_log());
    let dead: Vec<&str> = log.lines().filter(|l| DEATH_MARKERS.iter().any(|m| l.contains(m))).collect();
    assert!(dead.is_empty(), "{}: a process died:\n{}", h.label, dead.join("\n"));
}

fn new_cookie(res: &Response) -> Option<String> {
    let sc = res.all("Set-Cookie");
    let value = sc.first()?.strip_prefix("Apache=")?.strip_suffix("; path=/")?.to_string();
    (sc.len() == 1 && is_id(&value)).then_some(value)
}

#[test]
fn the_release_build_contains_no_fault_trigger() {
    let release = fs::read(our_module()).expect("read the release module");
    let fault = fs::read(fault_module()).expect("read the fault-injection module");
    let contains = |bytes: &[u8], what: &[u8]| bytes.windows(what.len()).any(|w| w == what);
    for trigger in [&b"X-Usertrack-Fault"[..], b"USERTRACK_FAULT", b"fault injected in"] {
        let shown = String::from_utf8_lossy(trigger);
        assert!(contains(&fault, trigger), "the fault build should contain {shown:?}: is the check meaningful?");
        assert!(!contains(&release, trigger), "the release module contains the fault trigger {shown:?}");
    }
}

/// Each request hook panics on a request that asks for it; the same child logs it, serves the
/// request and the next one.
#[test]
fn a_panic_in_each_request_hook_is_caught_and_the_worker_lives_on() {
    let module = fault_module();
    let mut h = start("fault-hooks", &module, "", &[]);
    let first = serve(&mut h, &Request::get("localhost", "/"));
    assert_eq!(first.res.status, 200);
    assert!(new_cookie(&first.res).is_some(), "a normal request is tracked: {:?}", first.res.headers);
    let pid = first.pid.clone();

    // (hook, path, status, tracked): fixups is where a new visitor is tracked, so a panic there
    // leaves the request untracked; insert_error_filter runs for error responses only (here a
    // 403 refused before fixups); post_read_request's early look is repeated by fixups.
    let cases = [
        ("post_read_request", "/", 200, true),
        ("fixups", "/", 200, false),
        ("fixups", "/missing.html", 404, false),
        ("insert_error_filter", "/denied/x", 403, false),
        ("log_transaction", "/", 200, true),
    ];
    for (hook, path, status, tracked) in cases {
        let what = format!("panic in {hook} on {path}");
        let got = serve(&mut h, &Request::get("localhost", path).header("X-Usertrack-Fault", hook));
        assert_eq!(got.res.status, status, "{what}: status");
        assert_eq!(new_cookie(&got.res).is_some(), tracked, "{what}: tracked? {:?}", got.res.headers);
        if !tracked {
            assert!(got.res.all("Set-Cookie").is_empty(), "{what}: no Set-Cookie");
            assert_eq!(got.note, "-", "{what}: no note");
        }
        let line = tagged_error(&h, &format!("internal error in {hook}"))
            .unwrap_or_else(|| panic!("{what}: no [usertrack:error] line:\n{}", h.error_log()));
        assert!(line.contains("fault injected in"), "{what}: the panic's message is logged: {line}");
        assert_eq!(got.pid, pid, "{what}: served by the same child");
        // a returning visitor on the same child after the panic
        let cookie = new_cookie(&first.res).unwrap();
        let back = serve(&mut h, &Request::get("localhost", "/").cookie(&format!("Apache={cookie}")));
        assert_eq!((back.res.status, back.note.as_str(), back.new.as_str()), (200, cookie.as_str(), "0"), "{what}: next request");
        let next = serve(&mut h, &Request::get("localhost", "/"));
        assert_eq!(next.res.status, 200, "{what}: next request");
        assert!(new_cookie(&next.res).is_some(), "{what}: the next new visitor is tracked");
        assert_eq!(next.pid, pid, "{what}: the child lives on");
    }
    assert_no_death(&h);
}

const CLICKPATH: &str = "ClickPathSessionPrefix -S:\n";
const UNTOUCHED_LINK: &str = "<a href=\"/x.html\">";

/// The session ID a rewritten page's link carries.
fn session_in_link(res: &Response) -> Option<String> {
    let body = String::from_utf8_lossy(&res.body);
    let id = body.split("<a href=\"/-S:").nth(1)?.split("/x.html\"").next()?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

/// ClickPath's request entry points panic on a request that asks for it: the panic is logged,
/// the same child serves the request and the next one. What the visitor gets: a panic in
/// translate_name leaves the request without a session, so its page goes out untouched (200),
/// and a URL with a session in it keeps the session in the path: no such file, 404 (the strip
/// is the part that failed); a panic in insert_filter or the output filter passes the page on
/// untouched (200, never a 500): the filter's fallback removes it and passes the rest of the
/// response on as it is, which on its first call is the whole page.
#[test]
fn a_panic_in_a_clickpath_entry_point_is_caught_and_the_worker_lives_on() {
    let mut h = start("fault-clickpath", &fault_module(), CLICKPATH, &[]);
    let first = serve(&mut h, &Request::get("localhost", "/cp/links.html"));
    assert_eq!(first.res.status, 200);
    let id = session_in_link(&first.res).unwrap_or_else(|| panic!("links rewritten: {}", String::from_utf8_lossy(&first.res.body)));
    let pid = first.pid.clone();
    let with_session = format!("/-S:{id}/cp/links.html");
    let cases = [
        ("clickpath_translate_name", "ClickPath's translate_name", "/cp/links.html", 200),
        ("clickpath_translate_name", "ClickPath's translate_name", with_session.as_str(), 404),
        ("clickpath_insert_filter", "ClickPath's insert_filter", "/cp/links.html", 200),
        ("clickpath_output_filter", "ClickPath's output filter", "/cp/links.html", 200),
        ("clickpath_output_filter", "ClickPath's output filter", with_session.as_str(), 200),
    ];
    for (entry_point, logged_as, path, status) in cases {
        let what = format!("panic in {entry_point} on {path}");
        let got = serve(&mut h, &Request::get("localhost", path).header("X-Usertrack-Fault", entry_point));
        assert_eq!(got.res.status, status, "{what}: status");
        if status == 200 {
            let body = String::from_utf8_lossy(&got.res.body);
            assert!(body.contains(UNTOUCHED_LINK), "{what}: the page untouched: {body}");
        }
        let line = tagged_error(&h, &format!("internal error in {logged_as}"))
            .unwrap_or_else(|| panic!("{what}: no [usertrack:error] line:\n{}", h.error_log()));
        assert!(line.contains(&format!("fault injected in {entry_point}")), "{what}: the panic's message is logged: {line}");
        assert_eq!(got.pid, pid, "{what}: served by the same child");
        for next_path in ["/cp/links.html", with_session.as_str()] {
            let next = serve(&mut h, &Request::get("localhost", next_path));
            assert_eq!(next.res.status, 200, "{what}: next request {next_path}");
            assert!(session_in_link(&next.res).is_some(), "{what}: {next_path} rewritten again");
            assert_eq!(next.pid, pid, "{what}: the child lives on");
        }
    }
    assert_no_death(&h);
}

/// `/cookieless`: CookieTracking off, CookielessTracking on, the default shmcb salt cache.
const COOKIELESS_SECTION: &str = "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so\n\
                                  <Location /cookieless>\n    CookieTracking off\n    CookielessTracking on\n</Location>\n";

fn is_cookieless_id(value: &str) -> bool {
    value.len() == 25
        && value.starts_with("cl-")
        && value[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A panic in the cookieless path (the hook's code, or the visit to the salt cache with its
/// global mutex held) is logged; the request is served untracked by the same child, which then
/// gives the next request its cookieless ID (so the mutex was released).
#[test]
fn a_panic_in_the_cookieless_path_is_caught_and_the_worker_lives_on() {
    let mut h = start("fault-cookieless", &fault_module(), COOKIELESS_SECTION, &[]);
    // Fresh server: the first cookieless request visits the salt cache; so does this one.
    for fault in ["salt_cache", "cookieless"] {
        let what = format!("panic in {fault}");
        let got = serve(&mut h, &Request::get("localhost", "/cookieless/").header("X-Usertrack-Fault", fault));
        assert_eq!(got.res.status, 200, "{what}: served");
        assert!(got.res.all("Set-Cookie").is_empty(), "{what}: no Set-Cookie: {:?}", got.res.headers);
        assert_eq!(got.note, "-", "{what}: untracked");
        let line = tagged_error(&h, &format!("fault injected in {fault}"))
            .unwrap_or_else(|| panic!("{what}: no [usertrack:error] line:\n{}", h.error_log()));
        assert!(line.contains("internal error in"), "{what}: logged as an internal error: {line}");
        let next = serve(&mut h, &Request::get("localhost", "/cookieless/"));
        assert_eq!(next.res.status, 200, "{what}: next request");
        assert!(is_cookieless_id(&next.note), "{what}: the next request has a cookieless ID: {:?}", next.note);
        assert!(next.res.all("Set-Cookie").is_empty(), "{what}: next request: no Set-Cookie");
        assert_eq!(next.pid, got.pid, "{what}: the child lives on");
    }
    assert_no_death(&h);
}

/// ClickPath's part of post_config panics: logged, ClickPath stays off (pages untouched), and
/// cookie tracking, set up by the rest of post_config, works.
#[test]
fn a_panic_in_clickpaths_post_config_leaves_clickpath_off_and_cookies_on() {
    let mut h = start("fault-clickpath-post-config", &fault_module(), CLICKPATH, &[("USERTRACK_FAULT", "clickpath_post_config")]);
    let got = serve(&mut h, &Request::get("localhost", "/cp/links.html"));
    assert_eq!(got.res.status, 200);
    assert!(String::from_utf8_lossy(&got.res.body).contains(UNTOUCHED_LINK), "ClickPath off: the page untouched");
    assert!(new_cookie(&got.res).is_some(), "cookie tracking on: {:?}", got.res.headers);
    let line = tagged_error(&h, "internal error in ClickPath's post_config");
    assert!(line.is_some_and(|l| l.contains("fault injected in clickpath_post_config")), "logged:\n{}{}", h.stdio_log(), h.error_log());
    assert_no_death(&h);
}

/// A panic in a ClickPath directive handler refuses the config cleanly, naming the line.
#[test]
fn a_panic_in_a_clickpath_directive_is_a_clean_startup_error() {
    for directive in ["ClickPathSessionPrefix -S:", "<ClickPathUAExceptions>\n    google Googlebot\n</ClickPathUAExceptions>", "ClickPathSecret data:,key4567890"] {
        let (status, output) = config_test(&format!("{directive}\n"), "clickpath_directive");
        assert_eq!(status, Some(1), "{directive}: apache2 -t must fail cleanly (exit 1, no signal):\n{output}");
        assert!(output.contains("AH00526: Syntax error on line"), "{directive}: a syntax error:\n{output}");
        assert!(output.contains("mod_usertrack: internal error in a ClickPath directive, see the error log"), "{directive}:\n{output}");
        let logged = output
            .lines()
            .any(|l| l.contains("[usertrack:error]") && l.contains("internal error in a ClickPath directive") && l.contains("fault injected in clickpath_directive"));
        assert!(logged, "{directive}: the panic is logged with the module's tag:\n{output}");
        assert!(!DEATH_MARKERS.iter().any(|m| output.contains(m)), "{directive}:\n{output}");
    }
}

/// pre_config and check_config (the salt cache's start-up) panicking: logged, and `apache2 -t`
/// refuses the configuration cleanly (the panic took the salt cache with it).
#[test]
fn a_panic_in_the_salt_caches_start_up_is_a_clean_startup_error() {
    let body = format!("CookieTracking off\nCookielessTracking on\n{COOKIELESS_SECTION}");
    for entry_point in ["pre_config", "check_config"] {
        let (status, output) = config_test(&body, entry_point);
        assert_eq!(status, Some(1), "{entry_point}: apache2 -t must fail cleanly (exit 1, no signal):\n{output}");
        let logged = output.lines().any(|l| l.contains(&format!("internal error in {entry_point}")));
        assert!(logged, "{entry_point}: the panic is logged:\n{output}");
        assert!(!DEATH_MARKERS.iter().any(|m| output.contains(m)), "{entry_point}:\n{output}");
    }
}

/// post_config, child_init and merge_dir_config panic on every call (USERTRACK_FAULT): logged,
/// and the server starts and serves.
#[test]
fn a_panic_at_startup_or_in_merging_is_logged_and_the_server_serves() {
    let module = fault_module();
    let merge_sections = "<Location /sub>\n    CookieName sub\n</Location>\n\
                          <Directory @DOCROOT@/sub>\n    CookieSecure on\n</Directory>\n";
    // A merge that panics falls back to the inner section's record: sections without Cookie*
    // directives then leave tracking off (never on where a section turned it off).
    for (entry_point, tracked) in [("post_config", true), ("child_init", true), ("merge_dir_config", false)] {
        let mut h = start(&format!("fault-{entry_point}"), &module, merge_sections, &[("USERTRACK_FAULT", entry_point)]);
        for path in ["/", "/sub/"] {
            let got = serve(&mut h, &Request::get("localhost", path));
            assert_eq!(got.res.status, 200, "{entry_point}: {path} served");
            if tracked && path == "/" {
                assert!(new_cookie(&got.res).is_some(), "{entry_point}: {path} tracked: {:?}", got.res.headers);
            }
            for set_cookie in got.res.all("Set-Cookie") {
                assert!(set_cookie.starts_with("Apache=") || set_cookie.starts_with("sub="), "{set_cookie}");
            }
        }
        // at startup (post_config, child_init) or on the requests' merges
        let line = tagged_error(&h, &format!("internal error in {entry_point}"));
        assert!(line.is_some(), "{entry_point}: no [usertrack:error] line:\n{}{}", h.stdio_log(), h.error_log());
        assert_no_death(&h);
    }
}

/// `apache2 -t` with `USERTRACK_FAULT` set: (exit status, output).
fn config_test(body: &str, fault: &str) -> (Option<i32>, String) {
    let dir = TempDir::new("fault-config");
    for sub in ["htdocs", "logs", "run"] {
        dir.mkdir(sub);
    }
    let conf = dir.path().join("httpd.conf");
    fs::write(&conf, config_text(dir.path(), 9, &fault_module(), body)).expect("write conf");
    let out = Command::new(apache2_bin())
        .arg("-t")
        .arg("-f")
        .arg(&conf)
        .env("USERTRACK_FAULT", fault)
        .stdin(Stdio::null())
        .output()
        .expect("run apache2 -t");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// A panic in a directive handler or in creating a config record refuses the config with a
/// syntax error naming the line, logs the panic with the module's tag, and kills nothing.
#[test]
fn a_panic_in_a_directive_handler_is_a_clean_startup_error() {
    let keys = TempDir::new("fault-keys");
    let key = keys.write("k.keys", "# no key needed: the handler panics first\n");
    let cases = [
        ("set_text", "CookieName visitor".to_string(), "(CookieName)"),
        ("set_flag", "CookieTracking on".to_string(), "(CookieTracking)"),
        ("set_sign_key_file", format!("CookieSignKeyFile {}", key.display()), "(CookieSignKeyFile)"),
        ("create_dir_config", "CookieTracking on".to_string(), ""),
    ];
    for (entry_point, directive, names) in cases {
        let (status, output) = config_test(&format!("{directive}\n"), entry_point);
        assert_eq!(status, Some(1), "{entry_point}: apache2 -t must fail cleanly (exit 1, no signal):\n{output}");
        assert!(output.contains("AH00526: Syntax error on line"), "{entry_point}: a syntax error:\n{output}");
        assert!(output.contains("mod_usertrack: internal error, see the error log"), "{entry_point}:\n{output}");
        let logged = output
            .lines()
            .any(|l| l.contains("[usertrack:error]") && l.contains(&format!("internal error in {entry_point}")) && l.contains(names));
        assert!(logged, "{entry_point}: the panic is logged with the module's tag:\n{output}");
        assert!(!DEATH_MARKERS.iter().any(|m| output.contains(m)), "{entry_point}:\n{output}");
    }
}

/// The OS random source failing: no cookie, a clear error per request, the request served,
/// returning visitors still recognised.
#[test]
fn without_random_seed_requests_are_served_untracked_and_say_why() {
    let mut h = start("fault-getrandom", &fault_module(), "", &[("USERTRACK_FAULT", "getrandom")]);
    let got = serve(&mut h, &Request::get("localhost", "/"));
    assert_eq!(got.res.status, 200);
    assert!(got.res.all("Set-Cookie").is_empty(), "no cookie without a seed: {:?}", got.res.headers);
    assert_eq!(got.note, "-");
    let line = tagged_error(&h, "no tracking cookie set: the OS gave no random seed");
    assert!(line.is_some(), "the reason is logged:\n{}", h.error_log());
    let back = serve(&mut h, &Request::get("localhost", "/").cookie("Apache=d2e9002.660d2e900a927"));
    assert_eq!((back.res.status, back.note.as_str(), back.new.as_str()), (200, "d2e9002.660d2e900a927", "0"));
    assert_eq!(back.pid, got.pid);
    assert_no_death(&h);
}

fn release_config_test(label: &str, body: &str) -> (Option<i32>, String) {
    let t = support::httpd::ConfigTest::run(label, &our_module(), body);
    (t.status, t.output)
}

/// Key files that cannot be read and values out of range: startup errors that name the file or
/// the value.
#[test]
fn unreadable_key_files_and_out_of_range_values_are_clear_startup_errors() {
    let dir = TempDir::new("fault-unreadable");
    let missing = dir.path().join("missing.keys");
    let directory = dir.path().to_path_buf();
    let mut cases = vec![
        (format!("CookieSignKeyFile {}", missing.display()), missing.display().to_string()),
        (format!("CookieSignKeyFile {}", directory.display()), directory.display().to_string()),
        ("CookieExpires \"100 years\"".into(), "is more than 2147483647 seconds".into()),
        ("CookieExpires 2147483648".into(), "2147483648".into()),
        ("CookieExpires 99999999999999999999999".into(), "99999999999999999999999".into()),
        ("CookieExpires \"2147483647 years\"".into(), "2147483647 years".into()),
    ];
    if !is_root() {
        // root reads any file: this case needs an ordinary user (the .htaccess case below is root's)
        let p = dir.write("mode000.keys", "x\n");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
        cases.push((format!("CookieSignKeyFile {}", p.display()), p.display().to_string()));
    }
    for (directive, named) in cases {
        let (status, output) = release_config_test("fault-value", &format!("CookieTracking on\n{directive}\n"));
        assert_eq!(status, Some(1), "{directive}: refused:\n{output}");
        assert!(output.contains("AH00526: Syntax error on line"), "{directive}:\n{output}");
        assert!(output.contains(&named), "{directive}: the message names {named:?}:\n{output}");
    }
}

/// As root, httpd reads the server config as root but an .htaccess as the server's user: a key
/// file only root may read is a 500 for that directory, logged with the file's name, and the
/// server serves on.
#[test]
fn a_key_file_the_server_user_cannot_read_in_htaccess_is_a_500_naming_it() {
    if !is_root() {
        eprintln!("skipped: needs root (httpd's children then run as www-data)");
        return;
    }
    let keys = TempDir::new("fault-rootkey");
    let key = keys.write("root.keys", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let htaccess = format!("CookieSignKeyFile {}\n", key.display());
    let files: &[(&str, &str)] = &[("index.html", "x\n"), ("ht/index.html", "ht\n"), ("ht/.htaccess", &htaccess)];
    let body = format!("{}<Directory @DOCROOT@/ht>\n    AllowOverride FileInfo\n</Directory>\n", body(""));
    let mut h = Httpd::start("fault-rootkey", &our_module(), &body, files);
    let got = serve(&mut h, &Request::get("localhost", "/ht/"));
    assert_eq!(got.res.status, 500);
    let named = h.error_log().lines().any(|l| l.contains(&key.display().to_string()) && l.contains(".htaccess"));
    assert!(named, "the error log names the key file:\n{}", h.error_log());
    let next = serve(&mut h, &Request::get("localhost", "/"));
    assert_eq!(next.res.status, 200);
    assert_eq!(next.pid, got.pid);
    assert_no_death(&h);
}

/// A graceful restart (SIGUSR1) that changes CookieName and CookieExpires while clients keep
/// sending: no request fails, and new requests get the new config. Prefork and event.
#[test]
fn a_graceful_restart_under_load_changes_the_config_without_failing_a_request() {
    for mpm in ["prefork", "event"] {
        graceful_restart_under_load(mpm);
    }
}

fn graceful_restart_under_load(mpm: &'static str) {
    let before = "CookieTracking on\nCookieStyle Cookie\nCookieName before\nCookieExpires 3600\n";
    let options = Options { mpm: Some(mpm), ..Options::default() };
    let h = Httpd::start_with(&format!("graceful-{mpm}"), &our_module(), before, FILES, &options);
    let port = h.port;
    let stop = Arc::new(AtomicBool::new(false));
    // each response's Set-Cookie, or what went wrong
    let results: Arc<Mutex<Vec<Result<String, String>>>> = Arc::default();
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (stop, results) = (stop.clone(), results.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let r = support::client::send(port, &Request::get("localhost", "/"));
                    let r = match r {
                        Ok(res) if res.status == 200 => Ok(res.first("Set-Cookie").unwrap_or_default()),
                        Ok(res) => Err(format!("status {}", res.status_line)),
                        Err(e) => Err(e),
                    };
                    results.lock().unwrap().push(r);
                }
            })
        })
        .collect();
    let wait_for = |prefix: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let seen = results.lock().unwrap().iter().filter(|r| r.as_ref().is_ok_and(|c| c.starts_with(prefix))).count();
            if seen >= 100 {
                return;
            }
            assert!(Instant::now() < deadline, "{mpm}: no {prefix} cookies 20 s after a graceful restart");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for("before=");
    let graceful = |from: &str, to: &str| {
        let conf = fs::read_to_string(&h.conf).unwrap();
        fs::write(&h.conf, conf.replace(from, to)).unwrap();
        // SAFETY: kill(2) on the server's parent, our own child process.
        assert_eq!(unsafe { libc::kill(h.pid() as libc::pid_t, libc::SIGUSR1) }, 0);
    };
    graceful("CookieName before\nCookieExpires 3600", "CookieName after\nCookieExpires 7200");
    wait_for("after=");
    let mark = results.lock().unwrap().len();
    graceful("CookieName after\nCookieExpires 7200", "CookieName third\nCookieExpires 60");
    wait_for("third=");
    stop.store(true, Ordering::Relaxed);
    clients.into_iter().for_each(|c| c.join().unwrap());
    let results = results.lock().unwrap();
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{mpm}: {} of {} requests failed: {:?}", failed.len(), results.len(), &failed[..failed.len().min(5)]);
    for c in results.iter().flatten() {
        let ok = |name: &str, age: u32| {
            c.strip_prefix(&format!("{name}="))
                .and_then(|rest| rest.strip_suffix(&format!("; path=/; max-age={age}")))
                .is_some_and(is_id)
        };
        assert!(ok("before", 3600) || ok("after", 7200) || ok("third", 60), "{mpm}: a cookie of no config: {c}");
    }
    // once the new generation answered, no old config's cookie after the last restart's first
    let last: Vec<&String> = results.iter().flatten().skip_while(|c| !c.starts_with("third=")).collect();
    assert!(last.iter().skip(10).all(|c| c.starts_with("third=")), "{mpm}: old config after the restart: {last:?}");
    assert!(results[mark..].iter().flatten().any(|c| c.starts_with("after=")));
    // prefork: "AH00171: Graceful restart requested", event: "AH00493: SIGUSR1 received.  Doing graceful restart"
    let restarts = h.error_log().to_lowercase().matches("graceful restart").count();
    assert_eq!(restarts, 2, "{mpm}: two graceful restarts logged:\n{}", h.error_log());
    eprintln!("{mpm}: {} requests across two graceful restarts, none failed", results.len());
    assert!(h.crash_lines().is_empty(), "{:?}", h.crash_lines());
}

/// With `HttpProtocolOptions Unsafe` a client's cookie may hold control characters, which httpd
/// refuses to send in a response header (AH02430, a 500): `CookieRenew` must not echo them.
/// The visitor still counts; values without control characters are renewed as before.
#[test]
fn renewing_a_value_with_control_characters_does_not_fail_the_request() {
    let body = "HttpProtocolOptions Unsafe\nCookieTracking on\nCookieRenew on\nCookieExpires 3600\nLogLevel warn\n";
    let mut h = Httpd::start("renew-ctl", &our_module(), body, FILES);
    for (value, renewed) in [("a\u{1}b", false), ("a\u{1b}[31m", false), ("a\u{7f}", false), ("plain.1", true), ("a\tb", true)] {
        let res = h.send(&Request::get("localhost", "/").cookie(&format!("Apache={value}"))).unwrap();
        assert_eq!(res.status, 200, "{value:?}: served");
        assert_eq!(res.all("Set-Cookie").len(), usize::from(renewed), "{value:?}: renewed? {:?}", res.headers);
        let note = h.next_access_line().unwrap();
        assert!(note.starts_with(&format!("{}|", support::cookie::escape_logitem(value))), "{value:?}: noted: {note}");
    }
    assert!(!h.error_log().contains("AH02430"), "{}", h.error_log());
}
