//! `CookielessTracking on` only in `.htaccess` (issue 14): the salt cache is made before the
//! server starts, from the server config, so such a server has none. Its requests stay
//! untracked, and the module says why once per process (it used to stay silent); with
//! `CookielessSaltCache` in the server config, as the warning and README advise, the same
//! `.htaccess` gives cookieless IDs.
//!
//! Run: `cargo build --release && cargo test --release --test cookieless_htaccess`.

mod support;

use support::client::Request;
use support::httpd::{Httpd, MODULES_DIR, our_module};

const FILES: &[(&str, &str)] =
    &[("ht/index.html", "<p>cookieless in .htaccess</p>\n"), ("ht/.htaccess", "CookieTracking off\nCookielessTracking on\n")];

/// One child, so "once per process" is once in the log; `.htaccess` read in /ht.
const BODY: &str = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\n\
                    <Directory \"@DOCROOT@/ht\">\n    AllowOverride FileInfo\n</Directory>\n";

const WARNING: &str = "CookielessTracking is on for this request, but the server config has no salt cache";

fn cookie_notes(h: &mut Httpd, requests: usize) -> Vec<String> {
    (0..requests)
        .map(|_| {
            let res = h.send(&Request::get("localhost", "/ht/").header("User-Agent", "htaccess test")).expect("served");
            assert_eq!(res.status, 200);
            assert!(res.all("Set-Cookie").is_empty(), "never a cookie: {:?}", res.headers);
            let line = h.next_access_line().expect("an access log line");
            line.split('|').next().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn only_in_htaccess_without_a_salt_cache_warns_once_and_stays_untracked() {
    let mut h = Httpd::start("cookieless-htaccess", &our_module(), BODY, FILES);
    assert_eq!(cookie_notes(&mut h, 3), ["-", "-", "-"], "untracked");
    let log = h.error_log();
    assert_eq!(log.matches(WARNING).count(), 1, "one warning per process:\n{log}");
    assert!(log.contains("set CookielessSaltCache"), "the warning says what to do:\n{log}");
    assert!(h.crash_lines().is_empty(), "{:?}", h.crash_lines());
}

#[test]
fn with_a_salt_cache_in_the_server_config_the_htaccess_works() {
    let body = format!("LoadModule socache_shmcb_module {MODULES_DIR}/mod_socache_shmcb.so\nCookielessSaltCache shmcb\n{BODY}");
    let mut h = Httpd::start("cookieless-htaccess-cache", &our_module(), &body, FILES);
    let notes = cookie_notes(&mut h, 2);
    assert!(notes[0].starts_with("cl-") && notes[0].len() == 25, "a cookieless ID: {notes:?}");
    assert_eq!(notes[0], notes[1], "the same visitor, the same ID");
    assert!(!h.error_log().contains(WARNING), "{}", h.error_log());
}
