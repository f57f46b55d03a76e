//! Differential test: the same requests go to an httpd running the stock C
//! mod_usertrack and to one running ours (same config template; only the
//! LoadModule path differs). Per request we compare the status line, the
//! sequence of response header names, the Set-Cookie/Set-Cookie2 values (ID
//! and expires= date normalised) and the access-log line
//! `%{cookie}n|%r|%>s` (minted IDs normalised). Each side is also checked
//! against the documented stock behaviour (stock-behaviour.md) and, for the
//! deliberate differences, against what ours must do instead.
//!
//! Run: `cargo build --release && cargo test --release --test differential`
//! (`make test` does both). Needs /usr/sbin/apache2 and Debian's modules.
//! Module paths: MODULE_SO (default target/release/libmod_usertrack.so),
//! STOCK_MODULE_SO (default /usr/lib/apache2/modules/mod_usertrack.so).
//! Setting MODULE_SO to the stock module makes the `agree_*` tests pass and
//! the `differences_*` tests fail (they document both behaviours).
//! UT_KEEP_TMP=1 keeps the server roots (configs, logs) for debugging.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::client::Request;
use support::cookie::{
    escape_errorlog, escape_logitem, http_date, id_random, id_time_us, is_id, parse_netscape_date,
};
use support::httpd::{ConfigTest, DOC_MTIME, Httpd, our_module, stock_module};

/// An ID-shaped value a "returning visitor" sends back.
const RETURNING_ID: &str = "1234abcd.5e0f1a2b3c4d5";

const FILES: &[(&str, &str)] = &[
    ("index.html", "<p>index</p>\n"),
    ("dir/index.html", "<p>dir index</p>\n"),
    ("sub/index.html", "<p>sub</p>\n"),
    ("loc/index.html", "<p>loc</p>\n"),
    ("denied/index.html", "<p>denied</p>\n"),
    ("new", "new\n"),
    ("err.html", "<p>custom error</p>\n"),
    (
        "inc.shtml",
        "before <!--#include virtual=\"/index.html\" --> after\n",
    ),
    ("ht/index.html", "<p>ht</p>\n"),
    (
        "ht/.htaccess",
        "CookieTracking on\nCookieName ht\nCookieStyle Cookie2\nCookieDomain .example.org\n",
    ),
    ("htbad/index.html", "<p>htbad</p>\n"),
    ("htbad/.htaccess", "CookieStyle bad\n"),
];

// Units from the spec (§1.3).
const Y: i64 = 31_536_000;
const MO: i64 = 2_592_000;
const W: i64 = 604_800;
const D: i64 = 86_400;
const H: i64 = 3_600;
const MI: i64 = 60;

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_micros() as i64
}

// ---------------------------------------------------------------------------
// Expectations and observations

/// What one side must produce for one request (normalised forms).
#[derive(Clone, Debug)]
struct Want {
    status: u16,
    /// (header name, normalised value): `<ID1>` for the first minted ID,
    /// `expires=<DATE+N>` for a Netscape date N s (±2) after the ID's time.
    cookies: Vec<(String, String)>,
    /// First field of the access log line (`<IDn>`, `-`, or the escaped value).
    log_cookie: String,
    /// Seconds of CookieExpires the expires= date is checked against.
    expiry: Option<i64>,
    /// `%{Apache}n|%<{cookie}n|%{cookie}n`, checked when set.
    notes: Option<String>,
}

impl Want {
    fn new_cookie(status: u16, header: &str, value: &str, expiry: Option<i64>) -> Want {
        Want {
            status,
            cookies: vec![(header.to_string(), value.to_string())],
            log_cookie: "<ID1>".into(),
            expiry,
            notes: None,
        }
    }

    fn none(status: u16) -> Want {
        Want {
            status,
            cookies: vec![],
            log_cookie: "-".into(),
            expiry: None,
            notes: None,
        }
    }

    fn returned(status: u16, value: &str) -> Want {
        Want {
            status,
            cookies: vec![],
            log_cookie: escape_logitem(value),
            expiry: None,
            notes: None,
        }
    }

    fn notes(mut self, n: &str) -> Want {
        self.notes = Some(n.to_string());
        self
    }
}

/// One request of a differential run.
struct Check {
    what: String,
    req: Request,
    stock: Want,
    ours: Want,
    /// Agree-cases: stock and ours must also be identical after normalisation.
    agree: bool,
}

impl Check {
    fn agree(what: impl Into<String>, req: Request, want: Want) -> Check {
        Check {
            what: what.into(),
            req,
            stock: want.clone(),
            ours: want,
            agree: true,
        }
    }

    fn differ(what: impl Into<String>, req: Request, stock: Want, ours: Want) -> Check {
        Check {
            what: what.into(),
            req,
            stock,
            ours,
            agree: false,
        }
    }
}

/// Minted IDs of one response, in order of appearance.
struct Ids {
    t0: i64,
    t1: i64,
    list: Vec<String>,
}

impl Ids {
    /// Registers a Set-Cookie value: `<IDn>` if it has the ID shape and a
    /// timestamp within the request window (±5 s slack), else a visible marker.
    fn mint(&mut self, v: &str) -> String {
        if let Some(i) = self.list.iter().position(|x| x == v) {
            return format!("<ID{}>", i + 1);
        }
        if !is_id(v) {
            return format!("{v} <not an ID>");
        }
        self.list.push(v.to_string());
        let n = self.list.len();
        let t = id_time_us(v).unwrap_or(0);
        if t < self.t0 - 5_000_000 || t > self.t1 + 5_000_000 {
            return format!(
                "<ID{n}: time {:+} s off the request>",
                (t - self.t0) / 1_000_000
            );
        }
        format!("<ID{n}>")
    }

    fn lookup(&self, v: &str) -> String {
        match self.list.iter().position(|x| x == v) {
            Some(i) => format!("<ID{}>", i + 1),
            None => v.to_string(),
        }
    }
}

fn normalise_set_cookie(v: &str, ids: &mut Ids, expiry: Option<i64>) -> String {
    let mut parts = v.split("; ");
    let first = parts.next().unwrap_or("");
    let Some((name, val)) = first.split_once('=') else {
        return format!("{v} <no name=value>");
    };
    let mut out = format!("{name}={}", ids.mint(val));
    let id_secs = id_time_us(val).unwrap_or(ids.t0).div_euclid(1_000_000);
    for attr in parts {
        out.push_str("; ");
        if let Some(d) = attr.strip_prefix("expires=") {
            match parse_netscape_date(d, id_secs + expiry.unwrap_or(0)) {
                Some(t) => {
                    let delta = t - id_secs;
                    match expiry {
                        Some(e) if (delta - e).abs() <= 2 => {
                            out.push_str(&format!("expires=<DATE+{e}>"))
                        }
                        _ => out.push_str(&format!("expires={d} <ID time {delta:+} s>")),
                    }
                }
                None => out.push_str(&format!("expires={d} <unparsable>")),
            }
        } else {
            out.push_str(attr);
        }
    }
    out
}

/// What one side did for one request, normalised.
#[derive(Debug)]
struct Seen {
    status_line: String,
    status: u16,
    names: Vec<String>,
    cookies: Vec<(String, String)>,
    log: String,
    log_cookie: String,
    notes: String,
    ids: Vec<String>,
    raw_cookies: Vec<String>,
    raw_log: String,
    body: String,
}

fn observe(server: &mut Httpd, req: &Request, expiry: Option<i64>) -> Result<Seen, String> {
    let t0 = now_us();
    let resp = server.send(req)?;
    let t1 = now_us();
    let raw_log = server.next_access_line()?;
    let raw_notes = server.next_notes_line()?;
    let mut ids = Ids {
        t0,
        t1,
        list: vec![],
    };
    let mut cookies = vec![];
    let mut raw_cookies = vec![];
    for (n, v) in &resp.headers {
        if n.eq_ignore_ascii_case("set-cookie") || n.eq_ignore_ascii_case("set-cookie2") {
            cookies.push((n.clone(), normalise_set_cookie(v, &mut ids, expiry)));
            raw_cookies.push(format!("{n}: {v}"));
        }
    }
    let (first, rest) = raw_log.split_once('|').unwrap_or((raw_log.as_str(), ""));
    let log_cookie = ids.lookup(first);
    let log = format!("{log_cookie}|{rest}");
    // notes: %v|%{Apache}n|%<{cookie}n|%{cookie}n -> drop %v
    let notes = raw_notes
        .split('|')
        .skip(1)
        .map(|f| ids.lookup(f))
        .collect::<Vec<_>>()
        .join("|");
    Ok(Seen {
        status_line: resp.status_line.clone(),
        status: resp.status,
        names: resp.header_names(),
        cookies,
        log,
        log_cookie,
        notes,
        ids: ids.list,
        raw_cookies,
        raw_log,
        body: String::from_utf8_lossy(&resp.body).into_owned(),
    })
}

fn check_want(side: &str, seen: &Seen, want: &Want, fails: &mut Vec<String>) {
    if seen.status != want.status {
        fails.push(format!(
            "{side}: status {} (want {})",
            seen.status_line, want.status
        ));
    }
    if seen.cookies != want.cookies {
        fails.push(format!(
            "{side}: cookies {:?}, want {:?} (raw: {:?})",
            seen.cookies, want.cookies, seen.raw_cookies
        ));
    }
    if seen.log_cookie != want.log_cookie {
        fails.push(format!(
            "{side}: logged cookie {:?}, want {:?} (raw log line {:?}, minted {:?})",
            seen.log_cookie, want.log_cookie, seen.raw_log, seen.ids
        ));
    }
    if let Some(n) = &want.notes
        && &seen.notes != n
    {
        fails.push(format!(
            "{side}: notes %{{Apache}}n|%<{{cookie}}n|%{{cookie}}n = {:?}, want {n:?}",
            seen.notes
        ));
    }
}

/// Runs the checks against a stock and an ours server built from the same
/// config body and returns all failures (one string each).
fn run_pair(label: &str, body: &str, checks: &[Check]) -> Vec<String> {
    let (mut stock, mut ours) = start_pair(label, body);
    let mut fails = run_checks(label, &mut stock, &mut ours, checks);
    fails.extend(stock.crash_lines());
    fails.extend(ours.crash_lines());
    fails
}

fn start_pair(label: &str, body: &str) -> (Httpd, Httpd) {
    let stock = Httpd::start(&format!("{label}-stock"), &stock_module(), body, FILES);
    let ours = Httpd::start(&format!("{label}-ours"), &our_module(), body, FILES);
    (stock, ours)
}

fn run_checks(label: &str, stock: &mut Httpd, ours: &mut Httpd, checks: &[Check]) -> Vec<String> {
    let mut fails = vec![];
    for c in checks {
        let mut f = vec![];
        let s = observe(stock, &c.req, c.stock.expiry);
        let o = observe(ours, &c.req, c.ours.expiry);
        match (&s, &o) {
            (Ok(s), Ok(o)) => {
                if c.agree {
                    if s.status_line != o.status_line {
                        f.push(format!(
                            "status: stock {:?} vs ours {:?}",
                            s.status_line, o.status_line
                        ));
                    }
                    if s.names != o.names {
                        f.push(format!(
                            "header names: stock {:?} vs ours {:?}",
                            s.names, o.names
                        ));
                    }
                    if s.cookies != o.cookies {
                        f.push(format!(
                            "cookies: stock {:?} vs ours {:?} (raw stock {:?}, ours {:?})",
                            s.cookies, o.cookies, s.raw_cookies, o.raw_cookies
                        ));
                    }
                    if s.log != o.log {
                        f.push(format!(
                            "log line: stock {:?} vs ours {:?}",
                            s.raw_log, o.raw_log
                        ));
                    }
                }
                check_want("stock", s, &c.stock, &mut f);
                check_want("ours", o, &c.ours, &mut f);
            }
            _ => {
                if let Err(e) = &s {
                    f.push(format!("stock: {e}"));
                }
                if let Err(e) = &o {
                    f.push(format!("ours: {e}"));
                }
            }
        }
        for x in f {
            fails.push(format!("[{label}] {}: {}: {x}", c.what, c.req.describe()));
        }
    }
    fails
}

fn report(fails: Vec<String>) {
    if !fails.is_empty() {
        panic!("{} failure(s):\n  {}", fails.len(), fails.join("\n  "));
    }
}

fn vhost(host: &str, directives: &str) -> String {
    format!("<VirtualHost *:@PORT@>\n    ServerName {host}\n{directives}\n</VirtualHost>\n")
}

/// First vhost = default for unknown Host names; no usertrack directive.
fn default_vhost() -> String {
    vhost("default.test", "")
}

// ---------------------------------------------------------------------------
// Cookie attributes

#[derive(Clone, Default)]
struct Attrs {
    tracking: Option<&'static str>,
    name: Option<&'static str>,
    domain: Option<&'static str>,
    /// (argument as written in the config, seconds per the spec)
    expires: Option<(&'static str, i64)>,
    style: Option<&'static str>,
    samesite: Option<&'static str>,
    secure: bool,
    httponly: bool,
}

impl Attrs {
    fn on() -> Attrs {
        Attrs {
            tracking: Some("on"),
            ..Attrs::default()
        }
    }

    fn directives(&self) -> String {
        let mut d = String::new();
        let mut add = |k: &str, v: &str| d.push_str(&format!("    {k} {v}\n"));
        if let Some(t) = self.tracking {
            add("CookieTracking", t);
        }
        if let Some(v) = self.name {
            add("CookieName", v);
        }
        if let Some(v) = self.domain {
            add("CookieDomain", v);
        }
        if let Some((v, _)) = self.expires {
            add("CookieExpires", v);
        }
        if let Some(v) = self.style {
            add("CookieStyle", v);
        }
        if let Some(v) = self.samesite {
            add("CookieSameSite", v);
        }
        if self.secure {
            add("CookieSecure", "on");
        }
        if self.httponly {
            add("CookieHTTPOnly", "on");
        }
        d
    }

    fn cookie_name(&self) -> &'static str {
        self.name.unwrap_or("Apache")
    }

    /// The header a first visit gets, built from the spec's rules (§1.4, §5).
    fn want_new(&self) -> Want {
        let style = self.style.map(|s| s.to_ascii_lowercase());
        let cookie2 = matches!(style.as_deref(), Some("cookie2") | Some("rfc2965"));
        let netscape = matches!(style.as_deref(), None | Some("netscape"));
        let header = if cookie2 { "Set-Cookie2" } else { "Set-Cookie" };
        let mut v = format!("{}=<ID1>; path=/", self.cookie_name());
        let secs = self.expires.map(|(_, s)| s).unwrap_or(0);
        if secs != 0 {
            if netscape {
                v.push_str(&format!("; expires=<DATE+{secs}>"));
            } else {
                v.push_str(&format!("; max-age={secs}"));
            }
        }
        if let Some(d) = self.domain {
            v.push_str(&format!("; domain={d}"));
            if cookie2 {
                v.push_str("; version=1");
            }
        }
        if let Some(s) = self.samesite {
            let canon = match s.to_ascii_lowercase().as_str() {
                "strict" => "Strict",
                "lax" => "Lax",
                "none" => "None",
                other => panic!("bad samesite in test table: {other}"),
            };
            v.push_str(&format!("; SameSite={canon}"));
        }
        if self.secure {
            v.push_str("; Secure");
        }
        if self.httponly {
            v.push_str("; HttpOnly");
        }
        Want::new_cookie(200, header, &v, (secs != 0).then_some(secs))
    }
}

fn attribute_cases() -> Vec<(String, Attrs)> {
    let on = Attrs::on;
    let mut v: Vec<(String, Attrs)> = vec![
        ("defaults".into(), on()),
        (
            "CookieTracking off".into(),
            Attrs {
                tracking: Some("off"),
                ..Attrs::default()
            },
        ),
        (
            "CookieTracking On (case)".into(),
            Attrs {
                tracking: Some("On"),
                ..Attrs::default()
            },
        ),
        (
            "CookieTracking on + extra word (ignored)".into(),
            Attrs {
                tracking: Some("on extra"),
                ..Attrs::default()
            },
        ),
        (
            "CookieName custom".into(),
            Attrs {
                name: Some("trk_id"),
                ..on()
            },
        ),
        (
            "CookieDomain".into(),
            Attrs {
                domain: Some(".example.com"),
                ..on()
            },
        ),
        (
            "CookieDomain .com. (loose)".into(),
            Attrs {
                domain: Some(".com."),
                ..on()
            },
        ),
    ];
    let expiries: Vec<(&'static str, i64)> = vec![
        ("60", 60),
        ("\"2 weeks 3 days\"", 2 * W + 3 * D),
        ("\"plus 1 month\"", MO),
        (
            "\"1 y 1 mo 1 w 1 d 1 h 1 mi 1 s\"",
            Y + MO + W + D + H + MI + 1,
        ),
        ("\"3x hours\"", 3 * H),
        ("007", 7),
        ("\"1 day 2\"", 1),
        ("\"pizza 3 days\"", 3 * D),
        ("\"2 Weeks 1 DOG 5 sec\"", 2 * W + D + 5),
        ("\"1 yesterday 2 minutes\"", Y + 2 * MI),
        ("\"0 days\"", 0),
        ("0", 0),
    ];
    for (arg, secs) in expiries {
        v.push((
            format!("CookieExpires {arg}"),
            Attrs {
                expires: Some((arg, secs)),
                ..on()
            },
        ));
        v.push((
            format!("CookieExpires {arg}, CookieStyle Cookie"),
            Attrs {
                expires: Some((arg, secs)),
                style: Some("Cookie"),
                ..on()
            },
        ));
    }
    for style in [
        "Netscape", "Cookie", "RFC2109", "Cookie2", "RFC2965", "cookie2", "rfc2109",
    ] {
        for (dom, exp) in [(false, false), (true, false), (false, true), (true, true)] {
            v.push((
                format!("CookieStyle {style} domain={dom} expires={exp}"),
                Attrs {
                    style: Some(style),
                    domain: dom.then_some(".example.com"),
                    expires: exp.then_some(("3600", 3600)),
                    ..on()
                },
            ));
        }
    }
    for ss in ["Strict", "Lax", "None", "lax"] {
        v.push((
            format!("CookieSameSite {ss}"),
            Attrs {
                samesite: Some(ss),
                ..on()
            },
        ));
    }
    v.push((
        "CookieSecure".into(),
        Attrs {
            secure: true,
            ..on()
        },
    ));
    v.push((
        "CookieHTTPOnly".into(),
        Attrs {
            httponly: true,
            ..on()
        },
    ));
    for style in [None, Some("Cookie"), Some("Cookie2")] {
        v.push((
            format!("all attributes, style {style:?}"),
            Attrs {
                name: Some("trk"),
                domain: Some(".example.com"),
                expires: Some(("\"1 hour\"", H)),
                style,
                samesite: Some("Lax"),
                secure: true,
                httponly: true,
                ..on()
            },
        ));
    }
    v
}

#[test]
fn agree_cookie_attributes() {
    let cases = attribute_cases();
    let mut body = default_vhost();
    let mut checks = vec![];
    for (i, (what, a)) in cases.iter().enumerate() {
        let host = format!("a{i}.test");
        body.push_str(&vhost(&host, &a.directives()));
        let tracking = a
            .tracking
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("on"));
        if tracking {
            checks.push(Check::agree(
                what.clone(),
                Request::get(&host, "/index.html"),
                a.want_new(),
            ));
            checks.push(Check::agree(
                format!("{what}, returning visitor"),
                Request::get(&host, "/index.html")
                    .cookie(&format!("{}={RETURNING_ID}", a.cookie_name())),
                Want::returned(200, RETURNING_ID),
            ));
        } else {
            checks.push(Check::agree(
                what.clone(),
                Request::get(&host, "/index.html"),
                Want::none(200),
            ));
            checks.push(Check::agree(
                format!("{what}, with a cookie"),
                Request::get(&host, "/index.html").cookie(&format!("Apache={RETURNING_ID}")),
                Want::none(200),
            ));
        }
    }
    // A vhost without any usertrack directive: tracking off (main server has none).
    checks.push(Check::agree(
        "no directive at all",
        Request::get("default.test", "/index.html"),
        Want::none(200),
    ));
    report(run_pair("attrs", &body, &checks));
}

// ---------------------------------------------------------------------------
// Cookie header parsing (spec §4 table)

#[test]
fn agree_cookie_parsing() {
    // (Cookie header value, Some(logged value) or None = new cookie)
    let rows: &[(&str, Option<&str>)] = &[
        ("Apache=abc", Some("abc")),
        ("x=1; Apache=abc", Some("abc")),
        ("x=1;Apache=abc", Some("abc")),
        ("x=1;   Apache=abc", Some("abc")),
        ("x=1,Apache=abc", Some("abc")),
        ("x=1, Apache=abc", Some("abc")),
        ("MyApache=abc", None),
        ("MyApache=abc; Apache=def", Some("def")),
        ("Apache2=abc", None),
        ("apache=abc", None),
        ("APACHE=abc", None),
        ("Apache=", None),
        ("Apache=; Apache=second", Some("second")),
        ("Apache =abc", None),
        ("Apache= abc", Some(" abc")),
        ("Apache=\"quoted value\"", Some("\"quoted value\"")),
        ("Apache=a b c ;x=1", Some("a b c ")),
        ("Apache=a,b", Some("a")),
        ("Apache=first; Apache=second", Some("first")),
        ("x=\"y;Apache=inquote\"", Some("inquote\"")),
        ("x=y Apache=nosep", None),
        ("Apache=abc=def", Some("abc=def")),
        ("Apache=back\\slash", Some("back\\slash")),
        (
            "Apache=1234abcd.5e0f1a2b3c4d5",
            Some("1234abcd.5e0f1a2b3c4d5"),
        ),
    ];
    let host = "p.test";
    let mut body = default_vhost();
    body.push_str(&vhost(host, "    CookieTracking on"));
    body.push_str(&vhost(
        "dot.test",
        "    CookieTracking on\n    CookieName a.b",
    ));
    body.push_str(&vhost(
        "us.test",
        "    CookieTracking on\n    CookieName user_id",
    ));
    let new =
        |name: &str| Want::new_cookie(200, "Set-Cookie", &format!("{name}=<ID1>; path=/"), None);
    let mut checks = vec![];
    for (hdr, want) in rows {
        let w = match want {
            Some(v) => Want::returned(200, v),
            None => new("Apache"),
        };
        checks.push(Check::agree(
            format!("Cookie: {hdr}"),
            Request::get(host, "/index.html").cookie(hdr),
            w,
        ));
    }
    checks.push(Check::agree(
        "two Cookie headers (merged with \", \")",
        Request::get(host, "/index.html")
            .cookie("x=1")
            .cookie("Apache=abc"),
        Want::returned(200, "abc"),
    ));
    checks.push(Check::agree(
        "first of two Cookie headers wins",
        Request::get(host, "/index.html")
            .cookie("Apache=one")
            .cookie("Apache=two"),
        Want::returned(200, "one"),
    ));
    checks.push(Check::agree(
        "Cookie2 header is never read",
        Request::get(host, "/index.html").header("Cookie2", "Apache=abc"),
        new("Apache"),
    ));
    checks.push(Check::agree(
        "no Cookie header",
        Request::get(host, "/index.html"),
        new("Apache"),
    ));
    checks.push(Check::agree(
        "name a.b: aXb=1",
        Request::get("dot.test", "/index.html").cookie("aXb=1"),
        new("a.b"),
    ));
    checks.push(Check::agree(
        "name a.b: a.b=1",
        Request::get("dot.test", "/index.html").cookie("a.b=1"),
        Want::returned(200, "1"),
    ));
    checks.push(Check::agree(
        "name user_id: userXid=7",
        Request::get("us.test", "/index.html").cookie("userXid=7"),
        new("user_id"),
    ));
    checks.push(Check::agree(
        "name user_id: x=1; user_id=7",
        Request::get("us.test", "/index.html").cookie("x=1; user_id=7"),
        Want::returned(200, "7"),
    ));
    checks.push(Check::agree(
        "name user_id: Apache=1 is another cookie",
        Request::get("us.test", "/index.html").cookie("Apache=1"),
        new("user_id"),
    ));
    report(run_pair("parse", &body, &checks));
}

// ---------------------------------------------------------------------------
// Kinds of requests and responses

#[test]
fn agree_request_kinds() {
    let host = "k.test";
    let directives = r#"    CookieTracking on
    AddOutputFilter INCLUDES .shtml
    <Directory "@DOCROOT@">
        Options +Includes
        RewriteEngine On
        RewriteRule ^old$ /new [R=302]
    </Directory>
    <Directory "@DOCROOT@/ht">
        AllowOverride FileInfo
    </Directory>
    <Directory "@DOCROOT@/htbad">
        AllowOverride FileInfo
    </Directory>"#;
    let mut body = default_vhost();
    body.push_str(&vhost(host, directives));
    let new = |status: u16| Want::new_cookie(status, "Set-Cookie", "Apache=<ID1>; path=/", None);
    let checks = vec![
        Check::agree("200", Request::get(host, "/index.html"), new(200)),
        Check::agree("404", Request::get(host, "/nope.html"), new(404)),
        Check::agree("HEAD", Request::head(host, "/index.html"), new(200)),
        Check::agree("HTTP/1.0", Request::http10(host, "/index.html"), new(200)),
        Check::agree(
            "mod_dir trailing-slash redirect",
            Request::get(host, "/dir"),
            new(301),
        ),
        Check::agree(
            "per-dir RewriteRule [R=302]",
            Request::get(host, "/old"),
            new(302),
        ),
        Check::agree(
            "per-dir RewriteRule [R=302], returning visitor",
            Request::get(host, "/old").cookie(&format!("Apache={RETURNING_ID}")),
            Want::returned(302, RETURNING_ID),
        ),
        Check::agree(
            "DirectoryIndex subrequest: one cookie",
            Request::get(host, "/dir/"),
            new(200),
        ),
        Check::agree(
            "SSI include virtual: one cookie",
            Request::get(host, "/inc.shtml"),
            new(200),
        ),
        Check::agree(
            "304 Not Modified",
            Request::get(host, "/index.html")
                .header("If-Modified-Since", &http_date(DOC_MTIME + 86_400)),
            new(304),
        ),
        Check::agree(
            "OPTIONS",
            Request {
                method: "OPTIONS".into(),
                ..Request::get(host, "/index.html")
            },
            new(200),
        ),
        Check::agree(
            ".htaccess with Cookie* directives",
            Request::get(host, "/ht/index.html"),
            Want::new_cookie(
                200,
                "Set-Cookie2",
                "ht=<ID1>; path=/; domain=.example.org; version=1",
                None,
            ),
        ),
        Check::agree(
            ".htaccess with Cookie* directives, returning visitor",
            Request::get(host, "/ht/index.html").cookie("Apache=x; ht=y"),
            Want::returned(200, "y"),
        ),
        Check::agree(
            ".htaccess with a bad directive: 500, no cookie",
            Request::get(host, "/htbad/index.html"),
            Want::none(500),
        ),
        Check::agree(
            "400 from request parsing: no cookie",
            Request::get(host, "/../../etc/passwd"),
            Want::none(400),
        ),
    ];
    let (mut stock, mut ours) = start_pair("kinds", &body);
    let mut fails = run_checks("kinds", &mut stock, &mut ours, &checks);
    // The SSI page really included the subrequest on both sides.
    for (side, s) in [("stock", &mut stock), ("ours", &mut ours)] {
        match observe(s, &Request::get(host, "/inc.shtml"), None) {
            Ok(r) if r.body.contains("<p>index</p>") => {}
            Ok(r) => fails.push(format!(
                "{side}: /inc.shtml did not include /index.html: {:?}",
                r.body
            )),
            Err(e) => fails.push(format!("{side}: /inc.shtml: {e}")),
        }
    }
    // The .htaccess error is logged the same way on both sides.
    let msg = "htbad/.htaccess: Invalid CookieStyle keyword: 'bad'";
    for (side, s) in [("stock", &stock), ("ours", &ours)] {
        if !s.error_log().contains(msg) {
            fails.push(format!(
                "{side}: error log lacks {msg:?}: {:?}",
                s.error_log()
            ));
        }
    }
    fails.extend(stock.crash_lines());
    fails.extend(ours.crash_lines());
    report(fails);
}

// ---------------------------------------------------------------------------
// Config errors (apache2 -t)

fn config_pair(label: &str, body: &str) -> (ConfigTest, ConfigTest) {
    (
        ConfigTest::run(&format!("{label}-stock"), &stock_module(), body),
        ConfigTest::run(&format!("{label}-ours"), &our_module(), body),
    )
}

#[test]
fn agree_config_errors() {
    // (config body, stock message per the spec)
    let cases: &[(&str, &str)] = &[
        (
            "CookieExpires -5",
            "bad expires code, numeric value expected.",
        ),
        ("CookieExpires \"3 \"", "bad expires code, missing <type>"),
        ("CookieExpires 2weeks", "bad expires code, missing <type>"),
        (
            "CookieExpires fortnights",
            "bad expires code, numeric value expected.",
        ),
        (
            "CookieExpires \"2 fortnights\"",
            "bad expires code, unrecognized type",
        ),
        (
            "CookieExpires \"1 m\"",
            "bad expires code, unrecognized type",
        ),
        (
            "CookieExpires \"\"",
            "CookieExpires takes one argument, an expiry date code",
        ),
        ("CookieStyle bad", "Invalid CookieStyle keyword: 'bad'"),
        (
            "CookieStyle",
            "CookieStyle takes one argument, 'Netscape', 'Cookie' (RFC2109), or 'Cookie2' (RFC2965)",
        ),
        (
            "CookieSameSite bad",
            "CookieSameSite accepts 'Strict', 'Lax', or 'None'",
        ),
        (
            "CookieDomain example.com",
            "CookieDomain values must begin with a dot",
        ),
        (
            "CookieDomain .com",
            "CookieDomain values must contain at least one embedded dot",
        ),
        (
            "CookieDomain",
            "CookieDomain takes one argument, domain to which this cookie applies",
        ),
        ("CookieTracking maybe", "CookieTracking must be On or Off"),
        ("CookieHTTPOnly yes", "CookieHttpOnly must be On or Off"),
        ("CookieSecure", "CookieSecure must be On or Off"),
        (
            "CookieName",
            "CookieName takes one argument, name of the tracking cookie",
        ),
        (
            "CookieName a b",
            "CookieName takes one argument, name of the tracking cookie",
        ),
        (
            "<VirtualHost *:@PORT@>\n    ServerName v.test\n    CookieTracking on\n    CookieStyle Cookie3\n</VirtualHost>",
            "Invalid CookieStyle keyword: 'Cookie3'",
        ),
        (
            "<Directory \"@DOCROOT@/sub\">\n    CookieTracking on\n    CookieExpires \"1 fortnight\"\n</Directory>",
            "bad expires code, unrecognized type",
        ),
    ];
    let mut fails = vec![];
    for (i, (body, msg)) in cases.iter().enumerate() {
        let (s, o) = config_pair(&format!("cfg{i}"), body);
        let what = format!("-t with {body:?}");
        if s.status != o.status {
            fails.push(format!(
                "{what}: exit status stock {:?} vs ours {:?}",
                s.status, o.status
            ));
        }
        if s.status == Some(0) {
            fails.push(format!("{what}: stock accepted it (spec: error)"));
        }
        let (se, oe) = (s.syntax_error(), o.syntax_error());
        if se != oe {
            fails.push(format!(
                "{what}: error stock {se:?} vs ours {oe:?}\n    stock output: {:?}\n    ours output: {:?}",
                s.normalised_output(),
                o.normalised_output()
            ));
        }
        match &se {
            Some((_, m)) if m == msg => {}
            _ => fails.push(format!("{what}: stock gave {se:?}, spec says {msg:?}")),
        }
    }
    // Valid configs load on both.
    for (i, body) in [
        "CookieTracking on extra\nCookieDomain .com.\nCookieExpires \"plus\"",
        "CookieHTTPOnly ON\nCookieSecure off\nCookieSameSite nOnE\nCookieStyle rfc2965",
        "<Location /x>\n    CookieName x.y-z_1\n    CookieExpires \"2 weeks 3 days\"\n</Location>",
    ]
    .iter()
    .enumerate()
    {
        let (s, o) = config_pair(&format!("cfgok{i}"), body);
        for (side, t) in [("stock", &s), ("ours", &o)] {
            if t.status != Some(0) || !t.output.contains("Syntax OK") {
                fails.push(format!(
                    "-t with {body:?}: {side} exit {:?}: {:?}",
                    t.status,
                    t.normalised_output()
                ));
            }
        }
    }
    report(fails);
}

// ---------------------------------------------------------------------------
// Deliberate differences (brief §1-§6): both behaviours asserted.

#[test]
fn differences_runtime() {
    let mut body = default_vhost();
    // 1. per-dir merge
    body.push_str(&vhost(
        "merge.test",
        r#"    CookieTracking on
    CookieStyle Cookie
    CookieDomain .example.com
    <Directory "@DOCROOT@/sub">
        CookieName subcookie
    </Directory>
    <Location /loc>
        CookieSecure on
    </Location>"#,
    ));
    // 2. CookieExpires in a <Directory>
    body.push_str(&vhost(
        "exp.test",
        r#"    CookieTracking on
    <Directory "@DOCROOT@/sub">
        CookieTracking on
        CookieExpires 3600
    </Directory>"#,
    ));
    // 4. local ErrorDocument (internal redirect)
    body.push_str(&vhost(
        "errdoc.test",
        "    CookieTracking on\n    ErrorDocument 404 /err.html",
    ));
    // 6. %{Apache}n and 5. post_read_request for refused requests
    body.push_str(&vhost(
        "note.test",
        r#"    CookieTracking on
    <Directory "@DOCROOT@/denied">
        Require all denied
    </Directory>"#,
    ));
    // 3. > 400 days: config loads on both, cookie identical (warning: differences_config)
    body.push_str(&vhost(
        "long.test",
        "    CookieTracking on\n    CookieExpires \"1 y 1 mo 1 w 1 d 1 h 1 mi 1 s\"",
    ));

    let set = |v: &str, exp: Option<i64>| Want::new_cookie(200, "Set-Cookie", v, exp);
    let merged = "Apache=<ID1>; path=/; domain=.example.com";
    let checks = vec![
        Check::agree(
            "merge: parent scope",
            Request::get("merge.test", "/index.html"),
            set(merged, None),
        ),
        Check::differ(
            "merge: <Directory> with only CookieName",
            Request::get("merge.test", "/sub/index.html"),
            Want::none(200),
            set("subcookie=<ID1>; path=/; domain=.example.com", None),
        ),
        Check::differ(
            "merge: <Directory> with only CookieName, returning visitor",
            Request::get("merge.test", "/sub/index.html")
                .cookie(&format!("subcookie={RETURNING_ID}")),
            Want::none(200),
            Want::returned(200, RETURNING_ID),
        ),
        Check::differ(
            "merge: <Location> with only CookieSecure",
            Request::get("merge.test", "/loc/index.html"),
            Want::none(200),
            set("Apache=<ID1>; path=/; domain=.example.com; Secure", None),
        ),
        Check::agree(
            "CookieExpires in <Directory>: inside",
            Request::get("exp.test", "/sub/index.html"),
            set("Apache=<ID1>; path=/; expires=<DATE+3600>", Some(3600)),
        ),
        Check::differ(
            "CookieExpires in <Directory>: other path",
            Request::get("exp.test", "/index.html"),
            set("Apache=<ID1>; path=/; expires=<DATE+3600>", Some(3600)),
            set("Apache=<ID1>; path=/", None),
        ),
        Check::differ(
            "local ErrorDocument 404",
            Request::get("errdoc.test", "/nope.html"),
            Want {
                status: 404,
                cookies: vec![
                    ("Set-Cookie".into(), "Apache=<ID1>; path=/".into()),
                    ("Set-Cookie".into(), "Apache=<ID2>; path=/".into()),
                ],
                log_cookie: "<ID2>".into(),
                expiry: None,
                notes: Some("-|<ID1>|<ID2>".into()),
            },
            Want::new_cookie(404, "Set-Cookie", "Apache=<ID1>; path=/", None)
                .notes("<ID1>|<ID1>|<ID1>"),
        ),
        Check::differ(
            "%{Apache}n, new visitor",
            Request::get("note.test", "/index.html"),
            set("Apache=<ID1>; path=/", None).notes("-|<ID1>|<ID1>"),
            set("Apache=<ID1>; path=/", None).notes("<ID1>|<ID1>|<ID1>"),
        ),
        Check::differ(
            "%{Apache}n, returning visitor",
            Request::get("note.test", "/index.html").cookie("Apache=abc"),
            Want::returned(200, "abc").notes("-|abc|abc"),
            Want::returned(200, "abc").notes("abc|abc|abc"),
        ),
        Check::agree(
            "403 new visitor: no cookie",
            Request::get("note.test", "/denied/index.html"),
            Want::none(403),
        ),
        Check::differ(
            "403 returning visitor: logged by ours only",
            Request::get("note.test", "/denied/index.html")
                .cookie(&format!("Apache={RETURNING_ID}")),
            Want::none(403),
            Want::returned(403, RETURNING_ID),
        ),
        Check::agree(
            "CookieExpires > 400 days still works",
            Request::get("long.test", "/index.html"),
            set(
                "Apache=<ID1>; path=/; expires=<DATE+34822861>",
                Some(34_822_861),
            ),
        ),
    ];
    let (mut stock, mut ours) = start_pair("differ", &body);
    let mut fails = run_checks("differ", &mut stock, &mut ours, &checks);
    // Stock's two ErrorDocument cookies share the time part (request_time copied).
    match observe(&mut stock, &Request::get("errdoc.test", "/nope.html"), None) {
        Ok(s) if s.ids.len() == 2 => {
            let t: Vec<_> = s.ids.iter().map(|i| id_time_us(i)).collect();
            if t[0] != t[1] || id_random(&s.ids[0]) == id_random(&s.ids[1]) {
                fails.push(format!("stock ErrorDocument: IDs {:?} should share the time and differ in the random part", s.ids));
            }
        }
        Ok(s) => fails.push(format!(
            "stock ErrorDocument: {} IDs, want 2: {:?}",
            s.ids.len(),
            s.raw_cookies
        )),
        Err(e) => fails.push(format!("stock ErrorDocument: {e}")),
    }
    fails.extend(stock.crash_lines());
    fails.extend(ours.crash_lines());
    report(fails);
}

/// Brief §1/§2 at real main-server level: vhosts and sections inherit the
/// main server's settings (ours) instead of stock's replace-by-fresh-record
/// and per-server CookieExpires.
#[test]
fn differences_main_server() {
    let body = r#"CookieTracking on
CookieStyle Cookie
CookieDomain .example.com
CookieExpires 100
<Directory "@DOCROOT@/sub">
    CookieName subcookie
</Directory>
"#
    .to_string()
        + &default_vhost()
        + &vhost(
            "nested.test",
            "    <Directory \"@DOCROOT@/dir\">\n        CookieName x\n    </Directory>",
        )
        + &vhost("top.test", "    CookieName top");
    let main = "Apache=<ID1>; path=/; max-age=100; domain=.example.com";
    let set = |v: &str| Want::new_cookie(200, "Set-Cookie", v, None);
    let checks = vec![
        Check::agree(
            "vhost without usertrack directives shares/inherits the main server",
            Request::get("default.test", "/index.html"),
            set(main),
        ),
        Check::differ(
            "main-server <Directory> with only CookieName",
            Request::get("default.test", "/sub/index.html"),
            Want::none(200),
            set("subcookie=<ID1>; path=/; max-age=100; domain=.example.com"),
        ),
        Check::differ(
            "vhost with a directive only in a nested <Directory>: CookieExpires",
            Request::get("nested.test", "/index.html"),
            set("Apache=<ID1>; path=/; domain=.example.com"),
            set(main),
        ),
        Check::differ(
            "vhost with only CookieName at top level",
            Request::get("top.test", "/index.html"),
            Want::none(200),
            set("top=<ID1>; path=/; max-age=100; domain=.example.com"),
        ),
    ];
    report(run_pair("differ-main", &body, &checks));
}

#[test]
fn differences_config() {
    let mut fails = vec![];
    // Refused by ours at startup, accepted by stock.
    let refused: &[(&str, String)] = &[
        (
            "CookieExpires \"100 years\"",
            "CookieExpires \"100 years\" is more than 2147483647 seconds (about 68 years), the longest expiry a cookie can carry".into(),
        ),
        (
            "CookieExpires 3000000000",
            "CookieExpires \"3000000000\" is more than 2147483647 seconds (about 68 years), the longest expiry a cookie can carry".into(),
        ),
        (
            "CookieName \"we;ird name\"",
            "CookieName \"we;ird name\" is not a valid cookie name: use only letters, digits and !#$%&'*+-.^_`|~".into(),
        ),
        (
            "CookieName caf\u{e9}",
            // httpd's error log escapes bytes >= 0x80 in any message
            format!(
                "CookieName \"{}\" is not a valid cookie name: use only letters, digits and !#$%&'*+-.^_`|~",
                escape_errorlog("caf\u{e9}")
            ),
        ),
        (
            "CookieDomain \".exa mple.com\"",
            "CookieDomain \".exa mple.com\" may not contain spaces, ';', ',' or control characters".into(),
        ),
        (
            "CookieDomain .example.com;x",
            "CookieDomain \".example.com;x\" may not contain spaces, ';', ',' or control characters".into(),
        ),
    ];
    for (i, (body, msg)) in refused.iter().enumerate() {
        let (s, o) = config_pair(&format!("refuse{i}"), body);
        if s.status != Some(0) || !s.output.contains("Syntax OK") {
            fails.push(format!(
                "-t {body:?}: stock should accept it: {:?} {:?}",
                s.status,
                s.normalised_output()
            ));
        }
        if o.status == Some(0) {
            fails.push(format!("-t {body:?}: ours accepted it (exit 0)"));
        }
        match o.syntax_error() {
            Some((_, m)) if &m == msg => {}
            other => fails.push(format!(
                "-t {body:?}: ours error {other:?}, want {msg:?}; output {:?}",
                o.normalised_output()
            )),
        }
    }
    // CookieExpires above 400 days: loads on both, ours warns (in any scope), stock does not.
    let long = "\"1 y 1 mo 1 w 1 d 1 h 1 mi 1 s\"";
    let warn = format!(
        "CookieExpires {long} is {} seconds, more than 400 days: browsers cap cookie lifetimes at 400 days",
        Y + MO + W + D + H + MI + 1
    );
    for (i, body) in [
        format!("CookieExpires {long}"),
        format!("<VirtualHost *:@PORT@>\n    ServerName v.test\n    CookieTracking on\n    CookieExpires {long}\n</VirtualHost>"),
        format!("<Directory \"@DOCROOT@/sub\">\n    CookieTracking on\n    CookieExpires {long}\n</Directory>"),
    ]
    .iter()
    .enumerate()
    {
        let (s, o) = config_pair(&format!("warn{i}"), body);
        for (side, t) in [("stock", &s), ("ours", &o)] {
            if t.status != Some(0) || !t.output.contains("Syntax OK") {
                fails.push(format!("-t {body:?}: {side} should accept it: {:?} {:?}", t.status, t.normalised_output()));
            }
        }
        if !o.output.contains(&warn) {
            fails.push(format!("-t {body:?}: ours printed no warning {warn:?}; output {:?}", o.normalised_output()));
        }
        if s.output.contains("400 days") {
            fails.push(format!("-t {body:?}: stock warned: {:?}", s.normalised_output()));
        }
    }
    // What stock does with them at runtime (documented; ours refuses to start).
    let hundred = (100 * Y) as i32 as i64; // wraps like the C int
    let mut body = default_vhost();
    body.push_str(&vhost(
        "h1.test",
        "    CookieTracking on\n    CookieStyle Cookie\n    CookieExpires \"100 years\"",
    ));
    body.push_str(&vhost(
        "h2.test",
        "    CookieTracking on\n    CookieExpires \"100 years\"",
    ));
    body.push_str(&vhost(
        "w.test",
        "    CookieTracking on\n    CookieName \"we;ird name\"",
    ));
    let mut stock = Httpd::start("stockonly", &stock_module(), &body, FILES);
    let expect: &[(&str, String, Option<i64>)] = &[
        (
            "h1.test",
            format!("Apache=<ID1>; path=/; max-age={hundred}"),
            None,
        ),
        (
            "h2.test",
            format!("Apache=<ID1>; path=/; expires=<DATE+{hundred}>"),
            Some(hundred),
        ),
        ("w.test", "we;ird name=<ID1>; path=/".to_string(), None),
    ];
    for (host, want, exp) in expect {
        match observe(&mut stock, &Request::get(host, "/index.html"), *exp) {
            Ok(s) => {
                let w = vec![("Set-Cookie".to_string(), want.clone())];
                if s.cookies != w || s.log_cookie != "<ID1>" {
                    fails.push(format!(
                        "stock {host}: {:?} log {:?}, want {w:?}",
                        s.raw_cookies, s.raw_log
                    ));
                }
            }
            Err(e) => fails.push(format!("stock {host}: {e}")),
        }
    }
    fails.extend(stock.crash_lines());
    report(fails);
}
