//! A load-balanced farm (issue 9, CookieSignKeyFile): httpd instances that share
//! one key file accept each other's signed IDs; an instance with another key
//! rejects them (mints anew).
//!
//! Three real httpd instances (prefork, our module, free ports on 127.0.0.1):
//! A and B with the same key file, C with a different one. The key files are
//! made here, mode 0600 and owned by the user running the test: as root httpd
//! reads its configuration as root before switching to www-data, so the
//! module's refusal of world-readable key files is met and the file still read.
//!
//! Run: `cargo build --release && cargo test --release --test farm`.

mod support;

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::client::Request;
use support::cookie::is_id;
use support::httpd::{Httpd, our_module};
use support::tmp::TempDir;

const FILES: &[(&str, &str)] = &[("index.html", "<p>farm</p>\n")];

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("read /dev/urandom");
    buf
}

/// A key file with one fresh 32-byte key (as `openssl rand -base64 32` makes), mode 0600.
fn key_file(dir: &TempDir, name: &str) -> PathBuf {
    let p = dir.path().join(name);
    let text = format!("# farm test key\n{}\n", base64(&random_bytes(32)));
    fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
    p
}

fn body(key: &Path) -> String {
    // the module's "rejected" lines are logged at info
    format!(
        "LogLevel warn usertrack:info\nCookieTracking on\nCookieSignKeyFile \"{}\"\n",
        key.display()
    )
}

struct Visit {
    set_cookies: Vec<String>,
    /// `%{cookie}n` of the request.
    note: String,
}

fn visit(h: &mut Httpd, cookie: Option<&str>) -> Visit {
    let mut req = Request::get("localhost", "/");
    if let Some(c) = cookie {
        req = req.cookie(c);
    }
    let res = h
        .send(&req)
        .unwrap_or_else(|e| panic!("{}: {}: {e}", h.label, req.describe()));
    assert_eq!(res.status, 200, "{}: {}", h.label, req.describe());
    // notes log: %v|%{Apache}n|%<{cookie}n|%{cookie}n
    let line = h
        .next_notes_line()
        .unwrap_or_else(|e| panic!("{}: {e}", h.label));
    let note = line.rsplit('|').next().unwrap_or("").to_string();
    Visit {
        set_cookies: res.all("Set-Cookie"),
        note,
    }
}

/// `Apache=ID~TAG; path=/` → (value, ID); panics with context otherwise.
fn signed_value(label: &str, set_cookies: &[String]) -> (String, String) {
    assert_eq!(
        set_cookies.len(),
        1,
        "{label}: exactly one Set-Cookie expected, got {set_cookies:?}"
    );
    let sc = &set_cookies[0];
    let value = sc
        .strip_prefix("Apache=")
        .and_then(|r| r.strip_suffix("; path=/"))
        .unwrap_or_else(|| panic!("{label}: unexpected Set-Cookie {sc:?}"));
    let (id, tag) = value
        .split_once('~')
        .unwrap_or_else(|| panic!("{label}: value {value:?} is not ID~TAG"));
    assert!(is_id(id), "{label}: {id:?} is not an ID");
    assert!(
        tag.len() == 22
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{label}: tag {tag:?} is not 22 base64url characters"
    );
    (value.to_string(), id.to_string())
}

#[test]
fn farm_instances_with_one_key_accept_each_others_ids() {
    let module = our_module();
    let keys = TempDir::new("farm-keys");
    let shared = key_file(&keys, "farm.key");
    let other = key_file(&keys, "other.key");
    let mode = fs::metadata(&shared).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file must be 0600");

    let mut a = Httpd::start("farm-a", &module, &body(&shared), FILES);
    let mut b = Httpd::start("farm-b", &module, &body(&shared), FILES);
    let mut c = Httpd::start("farm-c", &module, &body(&other), FILES);

    // A mints; B accepts it as is (no Set-Cookie, the note is the ID)
    let va = visit(&mut a, None);
    let (value_a, id_a) = signed_value("A mints", &va.set_cookies);
    assert_eq!(va.note, id_a, "A mints: the note is the ID without the tag");
    let vb = visit(&mut b, Some(&format!("Apache={value_a}")));
    assert!(
        vb.set_cookies.is_empty(),
        "B must accept A's value {value_a}, but sent {:?}",
        vb.set_cookies
    );
    assert_eq!(vb.note, id_a, "B: the note is A's ID");

    // and vice versa
    let vb2 = visit(&mut b, Some("other=1"));
    let (value_b, id_b) = signed_value("B mints", &vb2.set_cookies);
    assert_ne!(id_a, id_b, "two visitors, two IDs");
    let va2 = visit(&mut a, Some(&format!("other=1; Apache={value_b}")));
    assert!(
        va2.set_cookies.is_empty(),
        "A must accept B's value {value_b}, but sent {:?}",
        va2.set_cookies
    );
    assert_eq!(va2.note, id_b, "A: the note is B's ID");

    // C (another key) rejects A's value: mints a new one
    let vc = visit(&mut c, Some(&format!("Apache={value_a}")));
    let (value_c, id_c) = signed_value("C rejects A's value", &vc.set_cookies);
    assert_ne!(id_c, id_a, "C must mint a new ID for A's value");
    assert_eq!(vc.note, id_c, "C: the note is the new ID");
    assert!(
        c.error_log().contains("rejected"),
        "C: the rejected value is logged at info; error log:\n{}",
        c.error_log()
    );
    // ... and A rejects C's
    let va3 = visit(&mut a, Some(&format!("Apache={value_c}")));
    let (_, id_a3) = signed_value("A rejects C's value", &va3.set_cookies);
    assert_ne!(id_a3, id_c, "A must mint a new ID for C's value");
    assert_eq!(va3.note, id_a3, "A: the note is the new ID");

    // the same ID with B's tag replaced by C's is no good at B either
    let (_, tag_c) = value_c.split_once('~').unwrap();
    let vb3 = visit(&mut b, Some(&format!("Apache={id_c}~{tag_c}x")));
    assert_eq!(vb3.set_cookies.len(), 1, "B: a bad tag is rejected");

    let crashes: Vec<String> = [&a, &b, &c].iter().flat_map(|h| h.crash_lines()).collect();
    assert!(crashes.is_empty(), "crash markers: {crashes:?}");
}
