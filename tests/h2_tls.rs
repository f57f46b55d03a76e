//! Issue 10, part 4: HTTP/2 and TLS, with Debian's mod_http2 and mod_ssl under the event MPM,
//! and curl as the client (`--http2-prior-knowledge` for h2c, `-k --http2` for h2 over TLS
//! with a self-signed certificate made here with openssl).
//!
//! - cookies sent as several `cookie` fields ("crumbs"), which mod_http2 joins with "; ";
//! - Set-Cookie on HTTP/2 responses; `CookieSecure on` over https (h2 and HTTP/1.1);
//! - the notes and environment (`%{cookie}n`, `%{Apache}n`, `%{USERTRACK_ID}e`,
//!   `%{USERTRACK_NEW}e`) in the access log of HTTP/2 requests;
//! - the hostile Cookie set of t/hostile.t that HTTP/2 can carry, against the stock module's
//!   server and ours: the same status for each, only the ID's shape in Set-Cookie, and as
//!   many log lines (one per answered request);
//! - ClickPath's output filter behind mod_http2: links rewritten, the session continued, a
//!   300 KB page whole.
//!
//! Run: `cargo build --release && cargo test --release --test h2_tls` (needs curl and openssl:
//! `make test` installs them).

mod support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::cookie::is_id;
use support::httpd::{Httpd, MODULES_DIR, Options, our_module, stock_module};
use support::tmp::TempDir;

const FILES: &[(&str, &str)] = &[("index.html", "<p>h2</p>\n")];

/// tag | protocol | cookie note | Apache note | USERTRACK_ID | USERTRACK_NEW | Cookie header | status
const LOG: &str = "LogFormat \"%{X-Test-Tag}i|%H|%{cookie}n|%{Apache}n|%{USERTRACK_ID}e|%{USERTRACK_NEW}e|%{Cookie}i|%>s\" h2\n\
                   CustomLog @ROOT@/logs/h2.log h2\n";

fn h2c_body() -> String {
    format!("LoadModule http2_module {MODULES_DIR}/mod_http2.so\nProtocols h2c http/1.1\nLogLevel warn\nCookieTracking on\n{LOG}")
}

fn tls_body(cert: &Path, key: &Path) -> String {
    format!(
        "LoadModule http2_module {MODULES_DIR}/mod_http2.so\n\
         LoadModule socache_shmcb_module {MODULES_DIR}/mod_socache_shmcb.so\n\
         LoadModule ssl_module {MODULES_DIR}/mod_ssl.so\n\
         SSLSessionCache shmcb:@ROOT@/run/ssl_scache(512000)\n\
         SSLEngine on\nSSLCertificateFile {}\nSSLCertificateKeyFile {}\n\
         Protocols h2 http/1.1\nLogLevel warn\nCookieTracking on\nCookieSecure on\nCookieHTTPOnly on\n{LOG}",
        cert.display(),
        key.display()
    )
}

fn event() -> Options {
    Options { mpm: Some("event"), ..Options::default() }
}

/// A self-signed certificate for localhost: (dir, cert, key).
fn certificate() -> (TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = TempDir::new("h2-cert");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl (make test installs it: scripts/install-deps.sh test)");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    (dir, cert, key)
}

struct CurlResponse {
    /// "HTTP/2 200" → ("HTTP/2", 200); a failed transfer is ("", 0).
    proto: String,
    status: u16,
    headers: Vec<(String, String)>,
    error: String,
}

impl CurlResponse {
    fn all(&self, name: &str) -> Vec<String> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).collect()
    }
}

/// curl with `args`, then `-H` for each header (raw bytes), to `url`.
fn curl(url: &str, args: &[&str], headers: &[Vec<u8>]) -> CurlResponse {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-D", "-", "-o", "/dev/null", "--max-time", "15"]).args(args);
    for h in headers {
        cmd.arg("-H").arg(OsStr::from_bytes(h));
    }
    let out = cmd.arg(url).stdin(Stdio::null()).output().expect("run curl (make test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split(' ');
    let proto = parts.next().unwrap_or("").to_string();
    let status = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    CurlResponse { proto, status, headers, error: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// The h2.log lines of a tag (polled, bounded; `want` = how many to wait for).
fn log_lines(h: &Httpd, tag: &str, want: usize) -> Vec<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(if want == 0 { 1 } else { 5 });
    loop {
        let text = fs::read(h.root().join("logs/h2.log")).unwrap_or_default();
        let found: Vec<Vec<String>> = String::from_utf8_lossy(&text)
            .lines()
            .filter(|l| l.starts_with(&format!("{tag}|")))
            .map(|l| l.splitn(8, '|').map(str::to_string).collect())
            .collect();
        if (want > 0 && found.len() >= want) || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tag_header(tag: &str) -> Vec<u8> {
    format!("X-Test-Tag: {tag}").into_bytes()
}

fn value_of(set_cookie: &str, attributes: &str) -> Option<String> {
    let v = set_cookie.strip_prefix("Apache=")?.strip_suffix(attributes)?;
    is_id(v).then(|| v.to_string())
}

#[test]
fn h2c_cookie_crumbs_set_cookie_notes_and_env() {
    let h = Httpd::start_with("h2c", &our_module(), &h2c_body(), FILES, &event());
    let url = format!("http://127.0.0.1:{}/", h.port);
    let h2 = ["--http2-prior-knowledge"];

    // a new visitor over h2c: set-cookie, notes, USERTRACK_ID, USERTRACK_NEW=1
    let r = curl(&url, &h2, &[tag_header("h2-new")]);
    assert_eq!((r.proto.as_str(), r.status), ("HTTP/2", 200), "{}", r.error);
    let sc = r.all("set-cookie");
    assert_eq!(sc.len(), 1, "{:?}", r.headers);
    let id = value_of(&sc[0], "; path=/").unwrap_or_else(|| panic!("not an ID cookie: {sc:?}"));
    let line = &log_lines(&h, "h2-new", 1)[0];
    assert_eq!(line[1..6], ["HTTP/2.0", &id, &id, &id, "1"], "{line:?}");

    // crumbs: three cookie fields, joined by mod_http2 with "; "
    let crumbs = [b"Cookie: a=1".to_vec(), format!("Cookie: Apache={id}").into_bytes(), b"Cookie: b=2".to_vec()];
    let r = curl(&url, &h2, &[&[tag_header("h2-crumbs")][..], &crumbs[..]].concat());
    assert_eq!((r.proto.as_str(), r.status), ("HTTP/2", 200), "{}", r.error);
    assert!(r.all("set-cookie").is_empty(), "a returning visitor gets no cookie: {:?}", r.headers);
    let line = &log_lines(&h, "h2-crumbs", 1)[0];
    assert_eq!(line[6], format!("a=1; Apache={id}; b=2"), "crumbs joined with \"; \"");
    assert_eq!(line[2..6], [&id, &id, &id, "0"], "{line:?}");

    // the first of two crumbs with the name wins (as in one header)
    let r = curl(&url, &h2, &[tag_header("h2-twice"), b"Cookie: Apache=first.1".to_vec(), b"Cookie: Apache=second.2".to_vec()]);
    assert_eq!(r.status, 200);
    assert_eq!(log_lines(&h, "h2-twice", 1)[0][2], "first.1");

    // HTTP/1.1 on the same server (h2c upgrade not asked for): the same cookie
    let r = curl(&url, &["--http1.1"], &[tag_header("h1-same")]);
    assert_eq!((r.proto.as_str(), r.status), ("HTTP/1.1", 200));
    assert!(r.all("set-cookie").iter().all(|c| value_of(c, "; path=/").is_some()));
    assert!(h.crash_lines().is_empty(), "{:?}", h.crash_lines());
}

#[test]
fn tls_h2_and_http11_set_secure_cookies() {
    let (_certs, cert, key) = certificate();
    let h = Httpd::start_with("h2-tls", &our_module(), &tls_body(&cert, &key), FILES, &event());
    let url = format!("https://localhost:{}/", h.port);
    let resolve = format!("localhost:{}:127.0.0.1", h.port);
    let attrs = "; path=/; Secure; HttpOnly";
    for (label, proto, args) in [("tls-h2", "HTTP/2", "--http2"), ("tls-h1", "HTTP/1.1", "--http1.1")] {
        let r = curl(&url, &["-k", args, "--resolve", &resolve], &[tag_header(label)]);
        assert_eq!((r.proto.as_str(), r.status), (proto, 200), "{label}: {}", r.error);
        let sc = r.all("set-cookie");
        let id = sc.first().and_then(|c| value_of(c, attrs));
        assert!(sc.len() == 1 && id.is_some(), "{label}: one Secure cookie: {sc:?}");
        let id = id.unwrap();
        let line = &log_lines(&h, label, 1)[0];
        assert_eq!(line[2..6], [&id, &id, &id, "1"], "{label}: {line:?}");
        let back = format!("{label}-back");
        let r = curl(&url, &["-k", args, "--resolve", &resolve], &[tag_header(&back), format!("Cookie: x=1; Apache={id}").into_bytes()]);
        assert_eq!(r.status, 200);
        assert!(r.all("set-cookie").is_empty(), "{label}: returning");
        assert_eq!(log_lines(&h, &back, 1)[0][2..6], [&id, &id, &id, "0"]);
    }
    assert!(h.crash_lines().is_empty(), "{:?}", h.crash_lines());
}

/// The hostile Cookie set (t/hostile.t) as HTTP/2 can carry it (no folding, no HTTP/0.9, no
/// request line): stock's server and ours answer each alike.
#[test]
fn hostile_cookies_over_h2c_are_answered_as_stock_answers_them() {
    let limit = 8190;
    let body = format!("LimitRequestFieldSize {limit}\n{}", h2c_body());
    let stock = Httpd::start_with("h2-stock", &stock_module(), &body, FILES, &event());
    let ours = Httpd::start_with("h2-ours", &our_module(), &body, FILES, &event());
    let high: Vec<u8> = (0x80..=0xffu8).collect();
    let cookie = |v: &[u8]| [b"Cookie: ".to_vec(), v.to_vec()].concat();
    let name_value = |v: &[u8]| cookie(&[b"Apache=".to_vec(), v.to_vec()].concat());
    let longest = limit + 1 - "Cookie: Apache=".len();
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("a Cookie field of LimitRequestFieldSize bytes", vec![name_value(&vec![b'a'; longest - 1])]),
        ("a Cookie field 2 bytes longer", vec![name_value(&vec![b'a'; longest + 1])]),
        ("1,000 cookies, ours last", vec![cookie(format!("{}; Apache=last.1", (0..1000).map(|i| format!("c={i}")).collect::<Vec<_>>().join("; ")).as_bytes())]),
        ("the name 500 times", vec![cookie((0..500).map(|i| format!("Apache=r{i}")).collect::<Vec<_>>().join("; ").as_bytes())]),
        ("only separators", vec![cookie(b";;; ; ;=;==; ,,, ;\t;")]),
        ("bytes 0x80-0xff", vec![name_value(&[&high[..], b"; x=", &high[..]].concat())]),
        ("a TAB", vec![name_value(b"t\tab.1")]),
        ("control character 0x01", vec![name_value(b"c\x01.1")]),
        ("control character ESC", vec![name_value(b"c\x1b[31m.1")]),
        ("DEL", vec![name_value(b"c\x7f.1")]),
        ("quotes and backslashes", vec![cookie(br#"Apache="\"\\"; q="a\\b\"c"; \Apache=\\""#)]),
        ("a 7 KB value", vec![cookie(&[&b"a=b; Apache="[..], &vec![b'7'; 7168]].concat())]),
        ("an empty cookie field", vec![b"Cookie;".to_vec()]),
        ("an empty value", vec![name_value(b"")]),
        ("50 crumbs, ours last", (0..49).map(|i| cookie(format!("c{i}={i}").as_bytes())).chain([name_value(b"fifty.1")]).collect()),
        ("50 crumbs, ours in each", (0..50).map(|i| name_value(format!("crumb{i}").as_bytes())).collect()),
        ("a Cookie2 field only", vec![b"Cookie2: $Version=\"1\"; Apache=c2only".to_vec()]),
        ("a forged signature", vec![name_value(b"d2e9002.660d2e900a927~AAAAAAAAAAAAAAAAAAAAAA")]),
    ];
    let mut answered = 0;
    for (n, (label, headers)) in cases.iter().enumerate() {
        let mut got = Vec::new();
        for h in [&stock, &ours] {
            let tag = format!("hostile-{n}-{}", h.label);
            let url = format!("http://127.0.0.1:{}/", h.port);
            let r = curl(&url, &["--http2-prior-knowledge"], &[&[tag_header(&tag)][..], &headers[..]].concat());
            let lines = log_lines(h, &tag, if r.status == 0 { 0 } else { 1 });
            got.push((r, lines));
        }
        let ((s, s_lines), (o, o_lines)) = (&got[0], &got[1]);
        eprintln!("{label}: stock {} ours {} ({} log line(s)) {}", s.status, o.status, o_lines.len(), o.error.trim());
        answered += usize::from(o.status == 200);
        assert_eq!(o.status, s.status, "{label}: status as stock ({} / {})", s.error, o.error);
        assert_eq!(o_lines.len(), s_lines.len(), "{label}: as many log lines as stock");
        assert!(o_lines.len() <= 1, "{label}: one log line at most");
        for sc in o.all("set-cookie") {
            assert!(value_of(&sc, "; path=/").is_some(), "{label}: only an ID in Set-Cookie: {sc}");
        }
        assert_eq!(o.all("set-cookie").len(), s.all("set-cookie").len(), "{label}: a cookie set where stock sets one");
        if let (Some(sl), Some(ol)) = (s_lines.first(), o_lines.first()) {
            // a new ID (not in the Cookie header) where stock mints one, else the same note
            let minted = |l: &Vec<String>| is_id(&l[2]) && !l[6].contains(l[2].as_str());
            assert_eq!(minted(ol), minted(sl), "{label}: minted as stock: {sl:?} / {ol:?}");
            if !minted(sl) {
                assert_eq!(ol[2], sl[2], "{label}: the note as stock's");
            }
            assert!(ol.iter().all(|f| f.bytes().all(|b| (0x20..0x7f).contains(&b))), "{label}: a printable log line: {ol:?}");
        }
        // the server keeps serving
        let r = curl(&format!("http://127.0.0.1:{}/", ours.port), &["--http2-prior-knowledge"], &[]);
        assert_eq!(r.status, 200, "{label}: the next request is served");
        assert!(r.all("set-cookie").iter().all(|c| value_of(c, "; path=/").is_some()));
    }
    assert!(answered >= cases.len() / 2, "most of the set reaches the module: {answered} of {}", cases.len());
    assert!(ours.crash_lines().is_empty(), "{:?}", ours.crash_lines());
}

/// curl's body of a GET (`-o -`), for pages the ClickPath filter rewrote.
fn curl_body(url: &str, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "15"])
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run curl (make test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", ""));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

/// The sessions in a rewritten page's links: `href="/-S:<ID>/…"`.
fn sessions_in(body: &str) -> Vec<String> {
    body.split("href=\"/-S:").skip(1).filter_map(|rest| rest.split('/').next()).map(str::to_string).collect()
}

/// ClickPath's output filter behind mod_http2 (event MPM, h2c): a page's links get a new
/// session, following one continues it, and a 300 KB page (many brigades through h2's beam)
/// comes out whole with every link rewritten.
#[test]
fn clickpath_rewrites_pages_served_over_h2c() {
    let links = |n: usize| (0..n).map(|i| format!("<p>text {i} <a href=\"/p{i}.html\">link {i}</a></p>\n")).collect::<String>();
    let (small, big) = (links(3), links(6000));
    let files: &[(&str, &str)] = &[("index.html", "<p>h2</p>\n"), ("links.html", &small), ("big.html", &big)];
    let body = format!("LoadModule http2_module {MODULES_DIR}/mod_http2.so\nProtocols h2c http/1.1\nLogLevel warn\nClickPathSessionPrefix -S:\n");
    let h = Httpd::start_with("h2-clickpath", &our_module(), &body, files, &event());
    let base = format!("http://127.0.0.1:{}", h.port);
    let h2 = ["--http2-prior-knowledge"];

    let (status, page) = curl_body(&format!("{base}/links.html"), &h2);
    assert_eq!(status, 200, "{page}");
    let sessions = sessions_in(&page);
    assert_eq!(sessions.len(), 3, "every link rewritten: {page}");
    assert!(sessions.iter().all(|s| *s == sessions[0] && !s.is_empty()), "one new session: {sessions:?}");

    let (status, again) = curl_body(&format!("{base}/-S:{}/links.html", sessions[0]), &h2);
    assert_eq!(status, 200, "{again}");
    assert_eq!(sessions_in(&again), sessions, "the session continues through a link");

    let (status, page) = curl_body(&format!("{base}/-S:{}/big.html", sessions[0]), &h2);
    assert_eq!(status, 200);
    let big_sessions = sessions_in(&page);
    assert_eq!(big_sessions.len(), 6000, "every link of the big page rewritten");
    assert!(big_sessions.iter().all(|s| *s == sessions[0]));
    assert_eq!(page.replace(&format!("/-S:{}", sessions[0]), ""), big, "nothing else changed");
    assert!(h.crash_lines().is_empty(), "{:?}", h.crash_lines());
}
