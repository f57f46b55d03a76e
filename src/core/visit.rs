//! The per-request decision: what the module does for one request, from plain values.
//!
//! Inputs: the settings in force (`Policy`), the tracking cookie's value as the request sent it
//! (found by `CookieFinder`), what an earlier request of the same internal-redirect chain
//! settled, and, only when an ID must be minted, the minting inputs (request time, client
//! address, random source, the server's shared clock). Output (`Outcome`): the ID for the notes
//! and environment, whether it is new, the Set-Cookie value if one goes out, whether to inject
//! it into the request's `Cookie` header, and a rejected value to log. The FFI layer reads the
//! inputs from httpd and applies the outcome; nothing here knows about httpd.

use std::fmt;
use std::sync::atomic::AtomicU64;

use super::cookie_value::CookieValue;
use super::id_format::{IdFormat, MAX_FORMATTED_ID_LEN, has_id_shape, legacy_id, uuid_v4, uuid_v7};
use super::signing::{KeyRing, Verdict};
use super::tracking_id::{RandomSource, mint_id};
use super::unique_clock::next_unique_us;

/// The settings that shape the decision, with defaults applied.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    pub cookie_name: &'a [u8],
    pub format: IdFormat,
    pub inject: bool,
    pub renew: bool,
    pub validate: bool,
    pub signing: Option<Signing<'a>>,
}

/// `CookieSignKeyFile` is set.
#[derive(Clone, Copy, Debug)]
pub struct Signing<'a> {
    pub keys: &'a KeyRing,
    /// `CookieSignAcceptUnsigned`: the transition to signing, where an unsigned value that has
    /// an ID's shape is still accepted, and re-sent signed.
    pub accept_unsigned: bool,
}

impl<'a> Policy<'a> {
    /// The stock module's policy: every value counts as it is, nothing is added.
    pub const fn stock(cookie_name: &'a [u8]) -> Self {
        Self { cookie_name, format: IdFormat::Apache, inject: false, renew: false, validate: false, signing: None }
    }
}

/// Why an incoming value does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionReason {
    /// `CookieValidate`: not the shape of any ID format.
    NotAnId,
    /// A tag that matches no key, or is not a tag at all.
    BadSignature,
    /// No tag where one is required.
    Unsigned,
}

impl fmt::Display for RejectionReason {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Self::NotAnId => "not the shape of any CookieIDFormat (CookieValidate on)",
            Self::BadSignature => "its signature matches no key in the CookieSignKeyFile",
            Self::Unsigned => "it is not signed (CookieSignKeyFile set, CookieSignAcceptUnsigned off)",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection<'a> {
    pub value: &'a [u8],
    pub reason: RejectionReason,
}

/// Whether an incoming value counts, and as which ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement<'a> {
    /// `resign`: the value is accepted but should be sent again signed with the first key
    /// (unsigned during the transition, or signed with an older key).
    Accepted { id: &'a [u8], resign: bool },
    Rejected(Rejection<'a>),
}

/// Judges the tracking cookie's value as the visitor sent it.
#[inline]
pub fn judge<'a>(policy: &Policy, value: &'a [u8]) -> Judgement<'a> {
    let rejected = |reason| Judgement::Rejected(Rejection { value, reason });
    let (id, resign) = match policy.signing {
        None => (value, false),
        Some(signing) => match signing.keys.verify(policy.cookie_name, value) {
            Verdict::Signed { id, by_primary } => (id, !by_primary),
            Verdict::Unsigned(id) if signing.accept_unsigned && has_id_shape(id) => (id, true),
            Verdict::Unsigned(_) => return rejected(RejectionReason::Unsigned),
            Verdict::Forged => return rejected(RejectionReason::BadSignature),
        },
    };
    if policy.validate && !has_id_shape(id) {
        return rejected(RejectionReason::NotAnId);
    }
    Judgement::Accepted { id, resign }
}

/// The tracking cookie as the request sent it, judged under a policy. Judged once: a hook that
/// looked early with the same settings passes its judgement on, so a signature is checked once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found<'a> {
    pub value: &'a [u8],
    pub judgement: Judgement<'a>,
}

impl<'a> Found<'a> {
    #[inline]
    pub fn judged(policy: &Policy, value: &'a [u8]) -> Self {
        Self { value, judgement: judge(policy, value) }
    }
}

/// What an earlier request of the internal-redirect chain settled: the same visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled<'a> {
    pub id: &'a [u8],
    /// The cookie's value (the ID, and its tag when signed).
    pub value: &'a [u8],
    pub new: bool,
}

/// A Set-Cookie for a returning visitor.
#[derive(Clone, Copy, Debug)]
pub enum Resend<'a> {
    Nothing,
    /// `CookieRenew`: the value as received, with a fresh expiry.
    AsReceived(&'a [u8]),
    /// The same ID, signed with the first key.
    Signed(CookieValue),
}

#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    /// A returning visitor: notes and environment hold `id`.
    Returning { id: &'a [u8], resend: Resend<'a> },
    /// Carried over from an earlier request of the redirect chain, which sent any Set-Cookie.
    Settled(Settled<'a>),
    /// A new ID: notes and environment hold `value.id()`; a Set-Cookie carries `value`;
    /// `inject`: so does the request's Cookie header, in place of any `replaced` value.
    New { value: CookieValue, inject: bool, replaced: Option<Rejection<'a>> },
    /// An ID was needed but none could be minted (the OS gave no random seed).
    Unminted { replaced: Option<Rejection<'a>> },
}

/// Decides a tracked request. `found` is the tracking cookie in the request's `Cookie` header,
/// judged under `policy`; `mint` is called only if a new ID is needed.
///
/// Inlined: the outcome is then built in the caller's frame, not moved there.
#[inline(always)]
pub fn decide<'a>(
    policy: &Policy,
    found: Option<Found<'a>>,
    settled: Option<Settled<'a>>,
    mint: impl FnOnce(&Policy) -> Option<CookieValue>,
) -> Outcome<'a> {
    // A redirected request that finds no cookie, or the very value the chain settled on (it may
    // have been injected), continues the visit, new or not.
    if let Some(settled) = settled.filter(|settled| found.is_none_or(|found| found.value == settled.value)) {
        return Outcome::Settled(settled);
    }
    let replaced = match found {
        Some(Found { value, judgement: Judgement::Accepted { id, resign } }) => {
            return Outcome::Returning { id, resend: resend(policy, value, id, resign) };
        }
        Some(Found { judgement: Judgement::Rejected(rejection), .. }) => Some(rejection),
        None => None,
    };
    match mint(policy) {
        Some(value) => Outcome::New { value, inject: policy.inject, replaced },
        None => Outcome::Unminted { replaced },
    }
}

/// Whether `decide` would answer "returning, nothing to send" for `found` in a request that no
/// earlier request of a redirect chain settled: a hook that judged the cookie early can then
/// keep its answer without deciding again (the common returning visitor).
#[inline]
pub fn answer_stands(policy: &Policy, found: &Found) -> bool {
    matches!(found.judgement, Judgement::Accepted { resign: false, .. }) && !policy.renew
}

#[inline(always)]
fn resend<'a>(policy: &Policy, value: &'a [u8], id: &[u8], resign: bool) -> Resend<'a> {
    match policy.signing {
        // An ID we can sign: accepted unsigned ones have an ID's shape, and verified ones were
        // minted here; anything longer is re-sent as it is.
        Some(signing) if resign && id.len() <= MAX_FORMATTED_ID_LEN => {
            Resend::Signed(CookieValue::signed(signing.keys, policy.cookie_name, id))
        }
        // httpd refuses a response header with a control character other than TAB (AH02430:
        // the whole response becomes a 500), and with `HttpProtocolOptions Unsafe` a client's
        // cookie can hold one: such a value is not renewed (the visitor still counts).
        _ if (resign || policy.renew) && !has_control_byte(value) => Resend::AsReceived(value),
        _ => Resend::Nothing,
    }
}

/// Whether `value` has a byte httpd does not send in a header value: a control character other
/// than TAB.
#[inline]
fn has_control_byte(value: &[u8]) -> bool {
    value.iter().any(|&byte| (byte < 0x20 && byte != b'\t') || byte == 0x7f)
}

/// What minting an ID needs from the request and the server.
pub struct MintInputs<'a, R> {
    /// httpd's request time; 0 if it had none.
    pub request_time_us: u64,
    pub now_us: fn() -> u64,
    /// The client's address as text (`useragent_ip`, so mod_remoteip is honoured).
    pub client_ip: &'a [u8],
    pub random: R,
    /// A microsecond counter shared by every process and thread of the server, for `legacy`.
    pub shared_clock: Option<&'a AtomicU64>,
}

impl<R: RandomSource> MintInputs<'_, R> {
    fn time_us(&self) -> u64 {
        if self.request_time_us != 0 { self.request_time_us } else { (self.now_us)() }
    }

    /// A new ID in `policy`'s format, signed if signing is on. `None` without random bits.
    #[inline(always)]
    pub fn mint(mut self, policy: &Policy) -> Option<CookieValue> {
        let formatted = match policy.format {
            // The stock shape has its own fast writer: it is the default path.
            IdFormat::Apache => {
                let id = mint_id(&mut self.random, self.request_time_us, self.now_us)?;
                return Some(match policy.signing {
                    Some(signing) => CookieValue::signed(signing.keys, policy.cookie_name, id.id()),
                    None => id,
                });
            }
            IdFormat::Legacy => {
                let time_us = self.time_us();
                let time_us = self.shared_clock.map_or(time_us, |clock| next_unique_us(clock, time_us));
                legacy_id(self.client_ip, time_us)
            }
            IdFormat::Uuid => {
                let mut random = [0; 16];
                self.random.try_fill(&mut random).then_some(())?;
                uuid_v4(random)
            }
            IdFormat::Uuid7 => {
                let mut random = [0; 10];
                self.random.try_fill(&mut random).then_some(())?;
                uuid_v7(self.time_us() / 1000, random)
            }
        };
        Some(sign_if_on(policy, CookieValue::formatted(&formatted)))
    }
}

#[inline(always)]
fn sign_if_on(policy: &Policy, id: CookieValue) -> CookieValue {
    match policy.signing {
        Some(signing) => CookieValue::signed(signing.keys, policy.cookie_name, id.id()),
        None => id,
    }
}

#[cfg(test)]
mod tests;
