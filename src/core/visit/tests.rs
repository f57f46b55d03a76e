//! The decision, request by request, without httpd.

use std::sync::atomic::AtomicU64;

use super::*;
use crate::core::signing::KeyRing;
use crate::core::tracking_id::RandomSource;

struct Counter(u32);

impl RandomSource for Counter {
    fn try_next_u32(&mut self) -> Option<u32> {
        self.0 += 1;
        Some(self.0)
    }

    fn try_fill(&mut self, out: &mut [u8]) -> bool {
        out.iter_mut().for_each(|byte| *byte = 0xab);
        true
    }
}

struct NoRandomness;

impl RandomSource for NoRandomness {
    fn try_next_u32(&mut self) -> Option<u32> {
        None
    }

    fn try_fill(&mut self, _: &mut [u8]) -> bool {
        false
    }
}

const KEY_1: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const KEY_2: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
const REQUEST_TIME_US: u64 = 0x660d2e8448362;

fn ring(keys: &[&str]) -> &'static KeyRing {
    let contents = keys.join("\n");
    Box::leak(Box::new(KeyRing::from_file_contents("/k", contents.as_bytes(), 0o600).unwrap()))
}

fn signing(keys: &'static KeyRing, accept_unsigned: bool) -> Option<Signing<'static>> {
    Some(Signing { keys, accept_unsigned })
}

fn inputs<'a>(clock: Option<&'a AtomicU64>) -> MintInputs<'a, Counter> {
    MintInputs { request_time_us: REQUEST_TIME_US, now_us: || 7, client_ip: b"192.0.2.1", random: Counter(0xe679_234c), shared_clock: clock }
}

fn decide_with<'a>(policy: &Policy, found: Option<&'a str>, settled: Option<Settled<'a>>) -> Outcome<'a> {
    let found = found.map(|value| Found::judged(policy, value.as_bytes()));
    decide(policy, found, settled, |policy| inputs(None).mint(policy))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

const STOCK: Policy = Policy::stock(b"Apache");

#[test]
fn stock_returning_visitor_counts_as_it_is() {
    match decide_with(&STOCK, Some("anything at all"), None) {
        Outcome::Returning { id, resend: Resend::Nothing } => assert_eq!(id, b"anything at all"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stock_new_visitor_gets_a_stock_shaped_id() {
    match decide_with(&STOCK, None, None) {
        Outcome::New { value, inject: false, replaced: None } => {
            assert_eq!(text(value.bytes()), "e679234d.660d2e8448362");
            assert_eq!(value.id(), value.bytes());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_randomness_no_id() {
    let outcome = decide(&STOCK, None, None, |policy| MintInputs { random: NoRandomness, ..inputs_without_random() }.mint(policy));
    assert!(matches!(outcome, Outcome::Unminted { replaced: None }));
    for format in [IdFormat::Uuid, IdFormat::Uuid7] {
        let policy = Policy { format, ..STOCK };
        let outcome = decide(&policy, None, None, |policy| MintInputs { random: NoRandomness, ..inputs_without_random() }.mint(policy));
        assert!(matches!(outcome, Outcome::Unminted { replaced: None }), "{format:?}");
    }
}

fn inputs_without_random() -> MintInputs<'static, NoRandomness> {
    MintInputs { request_time_us: REQUEST_TIME_US, now_us: || 7, client_ip: b"192.0.2.1", random: NoRandomness, shared_clock: None }
}

#[test]
fn each_format_mints_its_shape() {
    let mint = |format| match decide_with(&Policy { format, ..STOCK }, None, None) {
        Outcome::New { value, .. } => text(value.bytes()).to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(mint(IdFormat::Legacy), format!("192.0.2.1.{REQUEST_TIME_US}"));
    let uuid = mint(IdFormat::Uuid);
    assert_eq!((uuid.len(), &uuid[14..15]), (36, "4"));
    let uuid7 = mint(IdFormat::Uuid7);
    assert_eq!((uuid7.len(), &uuid7[14..15]), (36, "7"));
    // The first 48 bits are the request time in milliseconds.
    assert_eq!(u64::from_str_radix(&uuid7[..8], 16).unwrap() << 16 | u64::from_str_radix(&uuid7[9..13], 16).unwrap(), REQUEST_TIME_US / 1000);
    for id in [mint(IdFormat::Apache), mint(IdFormat::Legacy), uuid, uuid7] {
        assert!(crate::core::id_format::has_id_shape(id.as_bytes()), "{id}");
    }
}

#[test]
fn legacy_ids_take_the_shared_clock_so_none_repeats() {
    let clock = AtomicU64::new(0);
    let policy = Policy { format: IdFormat::Legacy, ..STOCK };
    let ids: Vec<String> = (0..3)
        .map(|_| match decide(&policy, None, None, |policy| inputs(Some(&clock)).mint(policy)) {
            Outcome::New { value, .. } => text(value.bytes()).to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    let t = REQUEST_TIME_US;
    assert_eq!(ids, [format!("192.0.2.1.{t}"), format!("192.0.2.1.{}", t + 1), format!("192.0.2.1.{}", t + 2)]);
}

#[test]
fn inject_only_when_minted() {
    let policy = Policy { inject: true, ..STOCK };
    assert!(matches!(decide_with(&policy, None, None), Outcome::New { inject: true, .. }));
    assert!(matches!(decide_with(&policy, Some("a.b"), None), Outcome::Returning { .. }));
}

#[test]
fn renew_resends_the_value_as_received() {
    let policy = Policy { renew: true, ..STOCK };
    match decide_with(&policy, Some("a.b"), None) {
        Outcome::Returning { id, resend: Resend::AsReceived(value) } => assert_eq!((id, value), (&b"a.b"[..], &b"a.b"[..])),
        other => panic!("{other:?}"),
    }
}

/// httpd answers 500 to a response header with a control character (AH02430): a value with one
/// (possible with `HttpProtocolOptions Unsafe`) is recognised but not renewed.
#[test]
fn renew_does_not_resend_control_characters() {
    let policy = Policy { renew: true, ..STOCK };
    for value in ["a\u{1}b", "a\u{1b}[31m", "a\u{7f}", "\u{0}"] {
        match decide_with(&policy, Some(value), None) {
            Outcome::Returning { id, resend: Resend::Nothing } => assert_eq!(id, value.as_bytes()),
            other => panic!("{value:?}: {other:?}"),
        }
    }
    for value in ["a\tb", "\"quoted\" \\", "caf\u{e9}"] {
        assert!(
            matches!(decide_with(&policy, Some(value), None), Outcome::Returning { resend: Resend::AsReceived(_), .. }),
            "{value:?} is renewed"
        );
    }
}

#[test]
fn validation_rejects_what_no_format_mints_and_keeps_every_format() {
    let policy = Policy { validate: true, format: IdFormat::Uuid, ..STOCK };
    for kept in ["e679234d.660d2e8448362", "192.0.2.1.1795308822000000", "0190a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"] {
        assert!(matches!(decide_with(&policy, Some(kept), None), Outcome::Returning { .. }), "{kept}");
    }
    let huge = "x".repeat(7000);
    for bad in ["<script>", "a b", huge.as_str()] {
        match decide_with(&policy, Some(bad), None) {
            Outcome::New { value, replaced: Some(Rejection { value: rejected, reason: RejectionReason::NotAnId }), .. } => {
                assert_eq!(rejected, bad.as_bytes());
                assert_eq!(value.len(), 36, "a new ID in the configured format");
            }
            other => panic!("{other:?}"),
        }
    }
}

fn signed_value(keys: &KeyRing, id: &str) -> String {
    text(CookieValue::signed(keys, b"Apache", id.as_bytes()).bytes()).to_string()
}

#[test]
fn signed_ids_carry_a_tag_that_notes_do_not() {
    let keys = ring(&[KEY_1]);
    let policy = Policy { signing: signing(keys, false), ..STOCK };
    let Outcome::New { value, .. } = decide_with(&policy, None, None) else { panic!() };
    assert_eq!(text(value.id()), "e679234d.660d2e8448362");
    assert_eq!(text(value.bytes()), signed_value(keys, "e679234d.660d2e8448362"));
    let returning = text(value.bytes()).to_string();
    match decide_with(&policy, Some(&returning), None) {
        Outcome::Returning { id, resend: Resend::Nothing } => assert_eq!(id, b"e679234d.660d2e8448362"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn forged_altered_and_unsigned_values_count_as_absent() {
    let keys = ring(&[KEY_1]);
    let policy = Policy { signing: signing(keys, false), ..STOCK };
    let good = signed_value(keys, "1234abcd.5e0f1a2b3c4d5");
    let altered_id = good.replacen("1234", "1235", 1);
    let other_key = signed_value(ring(&[KEY_2]), "1234abcd.5e0f1a2b3c4d5");
    for (value, reason) in [
        (altered_id.as_str(), RejectionReason::BadSignature),
        (other_key.as_str(), RejectionReason::BadSignature),
        ("1234abcd.5e0f1a2b3c4d5~", RejectionReason::BadSignature),
        ("1234abcd.5e0f1a2b3c4d5", RejectionReason::Unsigned),
    ] {
        match decide_with(&policy, Some(value), None) {
            Outcome::New { replaced: Some(rejection), .. } => assert_eq!(rejection.reason, reason, "{value}"),
            other => panic!("{value}: {other:?}"),
        }
    }
}

#[test]
fn a_tag_for_another_cookie_name_does_not_verify() {
    let keys = ring(&[KEY_1]);
    let policy = Policy { cookie_name: b"other", signing: signing(keys, false), ..STOCK };
    let value = signed_value(keys, "1234abcd.5e0f1a2b3c4d5");
    assert!(matches!(decide_with(&policy, Some(&value), None), Outcome::New { replaced: Some(_), .. }));
}

#[test]
fn rotation_accepts_the_old_key_and_resigns_with_the_new() {
    let old = ring(&[KEY_2]);
    let rotated = ring(&[KEY_1, KEY_2]);
    let policy = Policy { signing: signing(rotated, false), ..STOCK };
    let value = signed_value(old, "1234abcd.5e0f1a2b3c4d5");
    match decide_with(&policy, Some(&value), None) {
        Outcome::Returning { id, resend: Resend::Signed(resigned) } => {
            assert_eq!(id, b"1234abcd.5e0f1a2b3c4d5");
            assert_eq!(text(resigned.bytes()), signed_value(rotated, "1234abcd.5e0f1a2b3c4d5"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_transition_accepts_unsigned_ids_and_resends_them_signed() {
    let keys = ring(&[KEY_1]);
    let policy = Policy { signing: signing(keys, true), ..STOCK };
    match decide_with(&policy, Some("1234abcd.5e0f1a2b3c4d5"), None) {
        Outcome::Returning { id, resend: Resend::Signed(signed) } => {
            assert_eq!(id, b"1234abcd.5e0f1a2b3c4d5");
            assert_eq!(text(signed.bytes()), signed_value(keys, "1234abcd.5e0f1a2b3c4d5"));
        }
        other => panic!("{other:?}"),
    }
    // Only what has an ID's shape: junk is still junk.
    assert!(matches!(decide_with(&policy, Some("<junk>"), None), Outcome::New { replaced: Some(_), .. }));
}

#[test]
fn a_redirected_request_continues_the_visit() {
    let settled = Settled { id: b"1.2", value: b"1.2", new: true };
    for found in [None, Some("1.2")] {
        assert!(matches!(decide_with(&STOCK, found, Some(settled)), Outcome::Settled(s) if s == settled));
    }
    // A different cookie in the redirected request is judged afresh, as stock does.
    assert!(matches!(decide_with(&STOCK, Some("3.4"), Some(settled)), Outcome::Returning { id: b"3.4", .. }));
}

/// `answer_stands` is a shortcut for `decide`: wherever it says so, `decide` agrees.
#[test]
fn an_answer_that_stands_is_what_decide_answers() {
    let keys = ring(&[KEY_1]);
    let old_keys = ring(&[KEY_2]);
    let values = [
        "1234abcd.5e0f1a2b3c4d5".to_string(),
        "<junk>".to_string(),
        signed_value(keys, "1234abcd.5e0f1a2b3c4d5"),
        signed_value(old_keys, "1234abcd.5e0f1a2b3c4d5"),
    ];
    let mut stood = 0;
    for renew in [false, true] {
        for validate in [false, true] {
            for signing in [None, signing(keys, false), signing(keys, true), signing(ring(&[KEY_1, KEY_2]), false)] {
                let policy = Policy { renew, validate, signing, ..STOCK };
                for value in &values {
                    let found = Found::judged(&policy, value.as_bytes());
                    let outcome = decide(&policy, Some(found), None, |_| None);
                    let plain = matches!(outcome, Outcome::Returning { resend: Resend::Nothing, .. });
                    assert_eq!(answer_stands(&policy, &found), plain, "{value} renew={renew} validate={validate}");
                    stood += usize::from(plain);
                }
            }
        }
    }
    assert!(stood > 4, "the shortcut is taken in the common cases");
}
