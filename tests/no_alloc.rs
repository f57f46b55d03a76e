//! The pure core's per-request functions do no heap allocation: a counting global allocator
//! (per-thread counter, so tests running in parallel do not disturb each other) must not move
//! while they run. Covers cookie scanning, ID minting (with the module's per-thread CSPRNG, after
//! its one-time seeding, and with a fixed source), Set-Cookie formatting in every style, the
//! Netscape date; the other ID formats, the shape check, the shared clock, and signing and
//! verifying (and cloning a key ring, which shows it owns no heap memory); and the per-request
//! decision with every option (each ID format, validation, signing, renewal, the transition,
//! injection).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::sync::atomic::AtomicU64;

use mod_usertrack::core::cookie_scan::CookieFinder;
use mod_usertrack::core::id_format::{IdFormat, has_id_shape, legacy_id, uuid_v4, uuid_v7};
use mod_usertrack::core::netscape_date::netscape_date;
use mod_usertrack::core::set_cookie::{CookieAttributes, SetCookieTemplate};
use mod_usertrack::core::settings::{SameSite, Style};
use mod_usertrack::core::cookie_inject::Injection;
use mod_usertrack::core::signing::{KeyRing, SIGNED_VALUE_CAPACITY, Verdict};
use mod_usertrack::core::tracking_id::{RandomSource, mint_id};
use mod_usertrack::core::unique_clock::next_unique_us;
use mod_usertrack::core::visit::{Found, MintInputs, Outcome, Policy, Signing, decide};
use mod_usertrack::random::ThreadRandom;

struct CountingAllocator;

thread_local! {
    // const-initialised Cell without a destructor: touching it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // try_with: the allocator can run while this thread's locals are being torn down.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Heap allocations made by this thread while `f` runs.
fn allocations_during<R>(f: impl FnOnce() -> R) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    black_box(f());
    ALLOCATIONS.with(Cell::get) - before
}

const NAME: &[u8] = b"Apache";

fn headers() -> Vec<Vec<u8>> {
    let mut long = String::new();
    for i in 0..300 {
        long.push_str(&format!("pref_{i:03}=value{i:03}; "));
    }
    let mut list: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"Apache=7f3a91c2.6601c0ffee123".to_vec(),
        b"_ga=GA1.2.1183742391.1732233719; lang=en-US; Apache=7f3a91c2.6601c0ffee123".to_vec(),
        b"x=1;\t \tApache=tabbed, y=2".to_vec(),
        b"MyApache=abc; Apache=; Apache=second".to_vec(),
        b"no tracking cookie; here=1".to_vec(),
    ];
    list.push(format!("{long}Apache=7f3a91c2.6601c0ffee123").into_bytes());
    list.push(long.into_bytes());
    list
}

/// The counter works, so the zero results below mean something.
#[test]
fn the_counter_sees_allocations() {
    assert!(allocations_during(|| vec![1u8; 100]) >= 1);
    assert!(allocations_during(|| format!("{}", black_box(12345))) >= 1);
    assert_eq!(allocations_during(|| [0u8; 100]), 0);
}

#[test]
fn cookie_scanning_does_not_allocate() {
    let headers = headers();
    // Finders are built once per configured name (at config time in the module); `" a"` is not a
    // token, so it takes the general path.
    let finders: Vec<CookieFinder> = [NAME, b"lang", b"missing", b" a"]
        .into_iter()
        .map(CookieFinder::new)
        .collect();
    let mut found = 0;
    let count = allocations_during(|| {
        for header in &headers {
            for finder in &finders {
                found += usize::from(black_box(finder).find(black_box(header)).is_some());
            }
        }
    });
    assert!(
        found >= 4,
        "the headers should contain the cookies looked for ({found})"
    );
    assert_eq!(count, 0, "CookieFinder::find allocated {count} times");
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

#[test]
fn minting_an_id_does_not_allocate() {
    // The module's per-thread generator seeds itself on first use in a thread; steady state after.
    assert!(mint_id(&mut ThreadRandom, 1, || 1).is_some());
    let mut total_len = 0;
    let count = allocations_during(|| {
        for i in 0..1000u64 {
            total_len += mint_id(&mut ThreadRandom, black_box(0x0006_60d2_e844_8362 + i), || 1).unwrap().len();
            total_len += mint_id(&mut FixedRandom(i as u32), black_box(0), || 0x0006_60d2_e844_8362).unwrap().len();
        }
    });
    assert!(total_len > 2000);
    assert_eq!(count, 0, "mint_id allocated {count} times in 2000 calls");
}

#[test]
fn set_cookie_formatting_does_not_allocate() {
    let base = CookieAttributes::defaults(NAME);
    let mut variants = Vec::new();
    for style in [Style::Netscape, Style::Cookie, Style::Cookie2] {
        for expires_seconds in [0, 3600, i32::MAX as u32] {
            for domain in [None, Some(&b".example.com"[..])] {
                for same_site in [
                    None,
                    Some(SameSite::Strict),
                    Some(SameSite::Lax),
                    Some(SameSite::None),
                ] {
                    for (secure, http_only) in [(false, false), (true, true)] {
                        variants.push(CookieAttributes {
                            style,
                            expires_seconds,
                            domain,
                            same_site,
                            secure,
                            http_only,
                            ..base
                        });
                    }
                }
            }
        }
    }
    // Building a template is config-time work, into a buffer the module takes from a pool.
    let mut texts: Vec<Vec<u8>> = variants.iter().map(|a| vec![0; SetCookieTemplate::text_buffer_len(a)]).collect();
    let templates: Vec<SetCookieTemplate> =
        variants.iter().zip(&mut texts).map(|(a, text)| SetCookieTemplate::build(a, text)).collect();
    let id = mint_id(&mut FixedRandom(0xe679_234d), 0x0006_60d2_e844_8362, || 1).unwrap();
    let mut buffer = [MaybeUninit::uninit(); 512];
    let mut written = 0;
    let count = allocations_during(|| {
        for template in &templates {
            let _ = black_box(template.header_name());
            written += template.write(&mut buffer[..template.output_buffer_len(id.len())], black_box(&id), black_box(1_795_308_822));
        }
    });
    assert!(written > variants.len() * id.len());
    assert_eq!(count, 0, "Set-Cookie formatting allocated {count} times");
}

#[test]
fn date_formatting_does_not_allocate() {
    let mut checksum = 0u64;
    let count = allocations_during(|| {
        for seconds in (0..4_102_444_800i64).step_by(86_400 * 7 + 3_601) {
            checksum += u64::from(netscape_date(black_box(seconds))[5]);
        }
    });
    assert!(checksum > 0);
    assert_eq!(count, 0, "netscape_date allocated {count} times");
}

#[test]
fn other_id_formats_and_the_shape_check_do_not_allocate() {
    assert!(ThreadRandom.try_fill(&mut [0; 16]));
    let clock = AtomicU64::new(0);
    let addresses: [&[u8]; 5] = [b"192.0.2.7", b"::ffff:192.0.2.7", b"2001:db8::1", b"fe80::1%eth0", b"garbage"];
    let mut shaped = 0;
    let count = allocations_during(|| {
        for i in 0..200u64 {
            let mut v4 = [0u8; 16];
            let mut v7 = [0u8; 10];
            assert!(ThreadRandom.try_fill(&mut v4) && ThreadRandom.try_fill(&mut v7));
            let time_us = next_unique_us(&clock, black_box(1_700_000_000_000_000 + i));
            let apache = mint_id(&mut FixedRandom(i as u32), time_us, || 1).unwrap();
            let ids = [
                legacy_id(black_box(addresses[i as usize % addresses.len()]), time_us),
                uuid_v4(v4),
                uuid_v7(time_us / 1000, v7),
            ];
            shaped += ids.iter().filter(|id| has_id_shape(black_box(id.bytes()))).count();
            shaped += usize::from(has_id_shape(black_box(apache.bytes())));
            shaped += usize::from(has_id_shape(black_box(b"not.an id")));
        }
    });
    assert_eq!(shaped, 800);
    assert_eq!(count, 0, "ID formats allocated {count} times");
}

#[test]
fn signing_and_verifying_do_not_allocate() {
    // Built at config time; allocating there is fine.
    let keys = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n";
    let ring = KeyRing::from_file_contents("/k", keys.as_bytes(), 0o600).unwrap();
    let mut signed = [0u8; SIGNED_VALUE_CAPACITY];
    let mut verified = 0;
    let count = allocations_during(|| {
        let ring = black_box(&ring).clone();
        for i in 0..200u8 {
            let len = ring.sign(NAME, black_box(&[b'1', b'.', b'0' + i % 10]), &mut signed);
            verified += usize::from(matches!(ring.verify(NAME, black_box(&signed[..len])), Verdict::Signed { .. }));
            signed[0] ^= 1;
            verified += usize::from(ring.verify(NAME, black_box(&signed[..len])) == Verdict::Forged);
        }
    });
    assert_eq!(verified, 400);
    assert_eq!(count, 0, "signing allocated {count} times");
}

#[test]
fn the_decision_with_every_option_does_not_allocate() {
    let keys = KeyRing::from_file_contents("/k", b"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", 0o600).unwrap();
    let clock = std::sync::atomic::AtomicU64::new(0);
    let formats = [IdFormat::Apache, IdFormat::Legacy, IdFormat::Uuid, IdFormat::Uuid7];
    let policies: Vec<Policy> = formats
        .iter()
        .flat_map(|&format| {
            [None, Some(Signing { keys: &keys, accept_unsigned: true })]
                .map(|signing| Policy { cookie_name: NAME, format, inject: true, renew: true, validate: true, signing })
        })
        .collect();
    let mint = |policy: &Policy| {
        MintInputs { request_time_us: 0x0006_60d2_e844_8362, now_us: || 1, client_ip: b"192.0.2.1", random: ThreadRandom, shared_clock: Some(&clock) }
            .mint(policy)
    };
    // Seed this thread's generator before counting.
    assert!(mint(&policies[0]).is_some());
    let mut header = [0u8; 512];
    let mut seen = 0;
    let count = allocations_during(|| {
        for policy in &policies {
            let Outcome::New { value, .. } = decide(policy, None, None, mint) else { panic!("minted") };
            seen += value.len();
            for returning in [value.bytes(), value.id(), b"not an id"] {
                let found = Found::judged(policy, black_box(returning));
                seen += matches!(decide(policy, Some(found), None, mint), Outcome::Returning { .. }) as usize;
            }
            let injection = Injection { existing: Some(b"a=1, Apache=bad"), name: NAME, value: value.bytes(), drop_existing_pairs: true };
            seen += injection.write(&mut header[..injection.buffer_len()]);
        }
    });
    assert!(seen > policies.len() * 20);
    assert_eq!(count, 0, "the decision allocated {count} times");
}

/// Issue 14: a request with the day's salt at hand (the keeper's answer, the ID) allocates nothing.
#[test]
fn a_cookieless_request_does_not_allocate() {
    use mod_usertrack::core::cookieless::salt::Salt;
    use mod_usertrack::core::cookieless::salt_keeper::{CacheAnswer, Plan, SaltKeeper};
    use mod_usertrack::core::cookieless::utc_day::UtcDay;
    use mod_usertrack::core::cookieless::visitor_id::{VisitorFields, cookieless_id};

    let now = 1_796_212_800;
    let day = UtcDay::of_unix_seconds(now);
    let mut keeper = SaltKeeper::new();
    keeper.plan(day, now);
    keeper.consulted(day, now, CacheAnswer::Salt(Salt::new([9; 32])));
    let user_agent = [b'M'; 150];
    let fields = VisitorFields { server_name: b"www.example.com", client_ip: b"192.0.2.7", user_agent: &user_agent };
    let allocations = allocations_during(|| {
        let Plan::Use(salt) = keeper.plan(day, now + 1) else { panic!("the salt is held") };
        cookieless_id(&salt, &fields)
    });
    assert_eq!(allocations, 0);
}
