//! The per-request decision (`core::visit::decide` and `judge`) with arbitrary found values
//! and policies. Input: a fixed-size block read with `arbitrary` (format, validate, renew,
//! inject, signing, minting inputs), then a length byte and the cookie name, a length byte and
//! the client address, then the value found in the Cookie header.
//! Never panics; a Returning outcome's ID is a sub-slice of the value found; a New outcome's ID
//! has an ID's shape; every signed value verifies under the cookie name.
#![no_main]

use std::sync::atomic::AtomicU64;

use arbitrary::{Arbitrary, Unstructured};
use fuzz_input::{fields, is_within, rings};
use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::cookie_value::CookieValue;
use mod_usertrack::core::id_format::{IdFormat, MAX_FORMATTED_ID_LEN, has_id_shape};
use mod_usertrack::core::signing::{KeyRing, Verdict};
use mod_usertrack::core::tracking_id::RandomSource;
use mod_usertrack::core::visit::{self, Judgement, MintInputs, Outcome, Policy, Resend, Settled, Signing, decide, judge};

#[derive(Arbitrary, Debug)]
enum Format {
    Apache,
    Legacy,
    Uuid,
    Uuid7,
}

#[derive(Arbitrary, Debug)]
enum Found {
    Absent,
    /// The value as the input gives it.
    AsGiven,
    /// The value, cut to an ID's length and signed by one of the two rings, so that the
    /// accepted-signed paths are reached.
    SignedBy { rotated: bool },
}

#[derive(Arbitrary, Debug)]
struct Choices {
    format: Format,
    validate: bool,
    renew: bool,
    inject: bool,
    /// `Some((rotated ring, accept_unsigned))`.
    signing: Option<(bool, bool)>,
    found: Found,
    /// An earlier request of the redirect chain settled on the found value (or on another).
    settled: Option<bool>,
    /// `None`: the OS gives no random bits.
    random: Option<[u8; 16]>,
    request_time_us: u64,
    shared_clock: Option<u64>,
}

struct Random(Option<[u8; 16]>);

impl RandomSource for Random {
    fn try_next_u32(&mut self) -> Option<u32> {
        self.0.map(|bits| u32::from_le_bytes(bits[..4].try_into().unwrap()))
    }

    fn try_fill(&mut self, out: &mut [u8]) -> bool {
        let Some(bits) = self.0 else { return false };
        out.iter_mut().zip(bits.iter().cycle()).for_each(|(byte, bit)| *byte = *bit);
        true
    }
}

fn ring(rotated: bool) -> &'static KeyRing {
    &rings()[usize::from(rotated)]
}

fn sign(keys: &KeyRing, name: &[u8], id: &[u8]) -> Vec<u8> {
    CookieValue::signed(keys, name, &id[..id.len().min(MAX_FORMATTED_ID_LEN)]).bytes().to_vec()
}

/// A value sent signed verifies under the policy's name with its first key, to its ID.
fn assert_signed_by(policy: &Policy, value: &CookieValue) {
    if let Some(signing) = policy.signing {
        assert_eq!(signing.keys.verify(policy.cookie_name, value.bytes()), Verdict::Signed { id: value.id(), by_primary: true });
    } else {
        assert_eq!(value.bytes(), value.id());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Unstructured::new(data);
    let Ok(choices) = Choices::arbitrary(&mut input) else { return };
    let [cookie_name, client_ip, value] = fields(input.take_rest());
    let format = match choices.format {
        Format::Apache => IdFormat::Apache,
        Format::Legacy => IdFormat::Legacy,
        Format::Uuid => IdFormat::Uuid,
        Format::Uuid7 => IdFormat::Uuid7,
    };
    let policy = Policy {
        cookie_name,
        format,
        inject: choices.inject,
        renew: choices.renew,
        validate: choices.validate,
        signing: choices.signing.map(|(rotated, accept_unsigned)| Signing { keys: ring(rotated), accept_unsigned }),
    };
    let presigned;
    let found = match choices.found {
        Found::Absent => None,
        Found::AsGiven => Some(value),
        Found::SignedBy { rotated } => {
            presigned = sign(ring(rotated), cookie_name, value);
            Some(presigned.as_slice())
        }
    };

    if let Some(found) = found {
        match judge(&policy, found) {
            Judgement::Accepted { id, .. } => {
                assert!(is_within(id, found));
                assert!(!policy.validate || has_id_shape(id));
            }
            Judgement::Rejected(rejection) => assert_eq!(rejection.value, found),
        }
    }

    let other = b"1.2".as_slice();
    let settled = choices.settled.map(|same| {
        let settled_value = if same { found.unwrap_or(other) } else { other };
        Settled { id: settled_value, value: settled_value, new: false }
    });
    let clock = choices.shared_clock.map(AtomicU64::new);
    let random_given = choices.random.is_some();
    let mint = |policy: &Policy| {
        let inputs = MintInputs {
            request_time_us: choices.request_time_us,
            now_us: || 0x660d_2e84_4836,
            client_ip,
            random: Random(choices.random),
            shared_clock: clock.as_ref(),
        };
        inputs.mint(policy)
    };
    let judged = found.map(|found| visit::Found::judged(&policy, found));
    let stands = settled.is_none() && judged.is_some_and(|judged| visit::answer_stands(&policy, &judged));
    let outcome = decide(&policy, judged, settled, mint);
    // The shortcut a hook takes after an early look agrees with the full decision.
    assert_eq!(stands, settled.is_none() && matches!(outcome, Outcome::Returning { resend: Resend::Nothing, .. }));
    match outcome {
        Outcome::Returning { id, resend } => {
            let found = found.expect("returning without a cookie");
            assert!(is_within(id, found));
            match resend {
                Resend::Nothing => {}
                Resend::AsReceived(value) => assert_eq!(value, found),
                Resend::Signed(value) => {
                    assert_eq!(value.id(), id);
                    assert_signed_by(&policy, &value);
                }
            }
        }
        Outcome::Settled(settled) => assert!(found.is_none_or(|found| found == settled.value)),
        Outcome::New { value, inject, replaced } => {
            assert!(has_id_shape(value.id()), "{:?}", String::from_utf8_lossy(value.id()));
            assert_signed_by(&policy, &value);
            assert_eq!(inject, policy.inject);
            assert_eq!(replaced.map(|rejection| rejection.value), found);
        }
        Outcome::Unminted { replaced } => {
            assert!(!random_given && format != IdFormat::Legacy, "minting failed with random bits");
            assert_eq!(replaced.map(|rejection| rejection.value), found);
        }
    }
});
