//! Criterion microbenchmarks of the pure core's per-request work (`cargo bench --bench core`;
//! `make bench` runs them with short warm-up/measurement times and tabulates the medians).
//!
//! - `cookie_scan/<size>/{last,absent}`: `CookieFinder::find` (the finder built once, as the module
//!   does at config time) over Cookie headers of 0.1, 1 and 8 KB whose tracking cookie comes last,
//!   or is absent (a near-miss name of the same length); `cookie_scan/returning_8_cookies_*` is
//!   the callgrind bench's realistic header, also with the one-off `find_cookie`.
//! - `mint_id/{thread_rng,fixed_random}`: a new ID, with the module's per-thread CSPRNG and with a
//!   constant random source (formatting alone).
//! - `set_cookie/<style>`: the Set-Cookie value for a fresh ID from the config's template, per
//!   style (the template is built outside the measurement, as the module builds it at config time).
//! - `netscape_date`: the `expires=` date alone.
//! - `signing/{sign,verify_primary,verify_second_key,verify_forged}`: `KeyRing::sign` and
//!   `KeyRing::verify` (`CookieSignKeyFile`) for an httpd 2.4-shaped ID, keys prepared outside the
//!   measurement as at config time. On the real CPU, so SHA-NI counts where the CPU has it;
//!   callgrind's figures for the signing columns take sha2's software path (valgrind hides the
//!   SHA extensions) and overstate the cost on such a CPU.
//! - `cookieless/id_150_byte_user_agent`: `cookieless_id` (`CookielessTracking`) for
//!   `make bench`'s cookieless visitor (a 150-byte User-Agent): SipHash-2-4-128, the salt's
//!   SipHash key derived outside the measurement as the module holds it.

use std::hint::black_box;
use std::mem::MaybeUninit;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use mod_usertrack::core::cookie_scan::{CookieFinder, find_cookie};
use mod_usertrack::core::cookieless::salt::Salt;
use mod_usertrack::core::cookieless::visitor_id::{VisitorFields, cookieless_id};
use mod_usertrack::core::netscape_date::netscape_date;
use mod_usertrack::core::set_cookie::{CookieAttributes, SetCookieTemplate};
use mod_usertrack::core::settings::{SameSite, Style};
use mod_usertrack::core::signing::{KeyRing, SIGNED_VALUE_CAPACITY, Verdict};
use mod_usertrack::core::tracking_id::{RandomSource, mint_id};
use mod_usertrack::random::ThreadRandom;

const NAME: &[u8] = b"Apache";
const TRACKING: &str = "Apache=7f3a91c2.6601c0ffee123";
/// Same length as TRACKING, a name that must not match.
const NEAR_MISS: &str = "Apachf=7f3a91c2.6601c0ffee123";
const REQUEST_TIME_US: u64 = 0x0006_60d2_e844_8362;
const REQUEST_TIME_S: i64 = 1_795_308_822;

/// Filler cookies then `last`, `; `-separated, padded to exactly `size` bytes.
fn cookie_header(size: usize, last: &str) -> Vec<u8> {
    let mut header = String::new();
    let mut i = 0;
    while header.len() + 2 + 24 + 2 + last.len() <= size {
        header.push_str(&format!("pref_{i:02}=v{i:02}xv{i:02}xv{i:02}xv{i:02}x; "));
        i += 1;
    }
    let pad = size - header.len() - last.len();
    if pad >= 4 {
        // one more cookie that takes up the remaining bytes exactly
        header.push_str("p=");
        header.push_str(&"x".repeat(pad - 4));
        header.push_str("; ");
    }
    header.push_str(last);
    assert!(
        header.len() <= size && header.len() + 4 > size,
        "{} vs {size}",
        header.len()
    );
    header.into_bytes()
}

fn realistic_header() -> Vec<u8> {
    [
        "_ga=GA1.2.1183742391.1732233719",
        "_gid=GA1.2.2081451232.1732233719",
        "sessionid=k2j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8",
        "csrftoken=Zx8PqL3mN7vB2cR5tY9wK4hJ6gF1dS0aQeUiOp",
        "lang=en-US",
        "cookie_consent=necessary%2Cpreferences%2Cstatistics",
        "_fbp=fb.1.1732233719815.1234567890",
        TRACKING,
    ]
    .join("; ")
    .into_bytes()
}

fn bench_cookie_scan(c: &mut Criterion) {
    let finder = CookieFinder::new(NAME);
    let mut group = c.benchmark_group("cookie_scan");
    for (label, size) in [("0.1KB", 100), ("1KB", 1024), ("8KB", 8192)] {
        for (case, last) in [("last", TRACKING), ("absent", NEAR_MISS)] {
            let header = cookie_header(size, last);
            assert_eq!(finder.find(&header).is_some(), case == "last");
            group.throughput(Throughput::Bytes(header.len() as u64));
            group.bench_with_input(BenchmarkId::new(label, case), &header, |b, header| {
                b.iter(|| black_box(&finder).find(black_box(header)))
            });
        }
    }
    let header = realistic_header();
    assert!(finder.find(&header).is_some());
    group.throughput(Throughput::Bytes(header.len() as u64));
    group.bench_function(format!("returning_8_cookies_{}B", header.len()), |b| {
        b.iter(|| black_box(&finder).find(black_box(&header)))
    });
    group.bench_function(
        format!("returning_8_cookies_{}B_one_off_find_cookie", header.len()),
        |b| b.iter(|| find_cookie(black_box(&header), black_box(NAME))),
    );
    group.finish();
}

struct FixedRandom(u32);
impl RandomSource for FixedRandom {
    fn try_next_u32(&mut self) -> Option<u32> {
        Some(self.0)
    }
    fn try_fill(&mut self, out: &mut [u8]) -> bool {
        out.fill(self.0 as u8);
        true
    }
}

fn bench_mint_id(c: &mut Criterion) {
    let mut group = c.benchmark_group("mint_id");
    group.bench_function("thread_rng", |b| {
        b.iter(|| mint_id(&mut ThreadRandom, black_box(REQUEST_TIME_US), || 1))
    });
    group.bench_function("fixed_random", |b| {
        let mut random = FixedRandom(0xe679_234d);
        b.iter(|| mint_id(black_box(&mut random), black_box(REQUEST_TIME_US), || 1))
    });
    group.finish();
}

fn bench_set_cookie(c: &mut Criterion) {
    let defaults = CookieAttributes::defaults(NAME);
    let all = CookieAttributes {
        domain: Some(b".example.com"),
        expires_seconds: 3600,
        same_site: Some(SameSite::Lax),
        secure: true,
        http_only: true,
        ..defaults
    };
    let styles = [
        ("netscape_session", defaults),
        (
            "netscape_expires",
            CookieAttributes {
                expires_seconds: 3600,
                ..defaults
            },
        ),
        (
            "cookie_rfc2109_max_age",
            CookieAttributes {
                style: Style::Cookie,
                expires_seconds: 3600,
                ..defaults
            },
        ),
        (
            "cookie2_rfc2965_max_age_domain",
            CookieAttributes {
                style: Style::Cookie2,
                expires_seconds: 3600,
                domain: Some(b".example.com"),
                ..defaults
            },
        ),
        ("netscape_all_options", all),
    ];
    let id = mint_id(&mut FixedRandom(0xe679_234d), REQUEST_TIME_US, || 1).unwrap();
    let mut group = c.benchmark_group("set_cookie");
    for (label, attributes) in styles {
        // Config-time work, outside the measurement.
        let mut text = vec![0; SetCookieTemplate::text_buffer_len(&attributes)];
        let template = SetCookieTemplate::build(&attributes, &mut text);
        let mut buffer = vec![MaybeUninit::uninit(); template.output_buffer_len(id.len())];
        group.bench_function(label, |b| {
            b.iter(|| black_box(&template).write(&mut buffer, black_box(&id), black_box(REQUEST_TIME_S)))
        });
    }
    group.finish();
    c.bench_function("netscape_date", |b| {
        b.iter(|| netscape_date(black_box(REQUEST_TIME_S + 3600)))
    });
}

fn bench_signing(c: &mut Criterion) {
    // Two keys, as during a rotation: the first signs, both verify.
    let new_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // bytes 0..32, as bench/bench.py's
    let old_key = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    let ring = KeyRing::from_file_contents("bench.keys", format!("{new_key}\n{old_key}\n").as_bytes(), 0o600)
        .expect("valid key file");
    let old_only = KeyRing::from_file_contents("old.keys", format!("{old_key}\n").as_bytes(), 0o600)
        .expect("valid key file");
    let id = b"7f3a91c2.6601c0ffee123";
    let mut out = [0u8; SIGNED_VALUE_CAPACITY];
    let len = ring.sign(NAME, id, &mut out);
    let signed = out[..len].to_vec();
    let len = old_only.sign(NAME, id, &mut out);
    let signed_old = out[..len].to_vec();
    let mut forged = signed.clone();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'Q' } else { b'A' };
    assert!(matches!(ring.verify(NAME, &signed), Verdict::Signed { by_primary: true, .. }));
    assert!(matches!(ring.verify(NAME, &signed_old), Verdict::Signed { by_primary: false, .. }));
    assert_eq!(ring.verify(NAME, &forged), Verdict::Forged);

    let mut group = c.benchmark_group("signing");
    group.bench_function("sign", |b| {
        let mut out = [0u8; SIGNED_VALUE_CAPACITY];
        b.iter(|| black_box(&ring).sign(black_box(NAME), black_box(id), &mut out))
    });
    group.bench_function("verify_primary", |b| {
        b.iter(|| black_box(&ring).verify(black_box(NAME), black_box(&signed)))
    });
    group.bench_function("verify_second_key", |b| {
        b.iter(|| black_box(&ring).verify(black_box(NAME), black_box(&signed_old)))
    });
    group.bench_function("verify_forged", |b| {
        b.iter(|| black_box(&ring).verify(black_box(NAME), black_box(&forged)))
    });
    group.finish();
}

fn bench_cookieless(c: &mut Criterion) {
    let salt = Salt::new(std::array::from_fn(|index| index as u8));
    // bench/bench.py's COOKIELESS_USER_AGENT
    let user_agent: &[u8] = b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
        Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86 usertrack-bench/cookieless-1.0";
    assert_eq!(user_agent.len(), 150);
    let fields = VisitorFields { server_name: b"127.0.0.1", client_ip: b"127.0.0.1", user_agent };
    let mut group = c.benchmark_group("cookieless");
    group.bench_function("id_150_byte_user_agent", |b| b.iter(|| cookieless_id(black_box(&salt), black_box(&fields))));
    group.finish();
}

criterion_group!(benches, bench_cookie_scan, bench_mint_id, bench_set_cookie, bench_signing, bench_cookieless);
criterion_main!(benches);
