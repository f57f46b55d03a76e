//! The request hooks: read what the request brings, let `core::visit` decide, apply the outcome.
//!
//! post_read_request looks for a returning visitor's cookie early, with the server's settings,
//! and notes its ID while the notes and environment tables are still empty (so adding costs
//! less than replacing). fixups (per-directory settings, `<If>` included) decides as stock
//! mod_usertrack does, with the options of `core::visit`, reusing the early look when its
//! settings and the `Cookie` header are still the same. A request refused before fixups (401,
//! 403, a redirect from translate_name) is looked at again when its error response is made and,
//! at the latest, when it is logged: with the settings in force for it by then, so that an `<If>`
//! that turns tracking off (the consent recipes) also clears what the early look noted.

use std::ffi::{c_char, c_int};
use std::mem::MaybeUninit;

use super::bindings::{
    DECLINED, HTTP_INTERNAL_SERVER_ERROR, OK, apr_pool_t, apr_table_addn, apr_table_setn, apr_table_t, apr_table_unset, request_rec, server_rec,
};
use super::clickpath::server_config::make_all_ready;
use super::clickpath::translate_hook::seed_counter;
use super::cookie_header::{CookieLookup, cookie_header};
use super::cookieless::cookieless_visit;
use super::dir_config::{DirConfig, dir_config};
use super::guard::{catching, fault_point, server_hook};
use super::log;
use super::pool::{PoolStr, alloc_slot_with_copy, alloc_uninit, alloc_value, c_bytes};
use super::salt_cache_hooks::{attach_salt_cache, start_salt_cache};
use super::request_state::{self, RequestState, SettledId, settled_before_redirect};
use super::shared_clock::{ensure_shared_clock, shared_clock};
use super::table;
use crate::core::cookie_inject::Injection;
use crate::core::cookie_value::{CookieValue, VALUE_CAPACITY};
use crate::core::id_format::IdFormat;
use crate::core::log_escape::bounded_for_log;
use crate::core::visit::{self, Found, Judgement, MintInputs, Outcome, Rejection, Resend};
use crate::random::{ThreadRandom, reseed_after_fork};

/// The longest part of a rejected value the error log shows.
const REJECTED_VALUE_LOG_LIMIT: usize = 100;

/// Sets the entries of `pairs`, as `apr_table_setn` does. In a table without such keys,
/// `apr_table_addn` leaves exactly what `apr_table_setn` would, for less: so into an empty table
/// (as in post_read_request) the entries are added, unless two of them are one.
#[inline(always)]
pub(super) unsafe fn set_entries(table: *mut apr_table_t, pairs: [(*const c_char, *const c_char); 2], distinct_keys: bool) {
    let add = unsafe { table::is_empty(table) } && distinct_keys;
    for (key, value) in pairs {
        unsafe {
            if add {
                apr_table_addn(table, key, value);
            } else {
                apr_table_setn(table, key, value);
            }
        }
    }
}

/// The `cookie` note, as stock, one named after the cookie for `%{Apache}n`, and the
/// environment variables `USERTRACK_ID` and `USERTRACK_NEW`.
#[inline(always)]
unsafe fn set_notes_and_env(r: *mut request_rec, config: &DirConfig, settled: SettledId) {
    let id = settled.id.as_ptr();
    let new: *const c_char = if settled.new { c"1".as_ptr() } else { c"0".as_ptr() };
    unsafe {
        let notes = [(c"cookie".as_ptr(), id), (config.cookie_name().as_ptr(), id)];
        set_entries((*r).notes, notes, !config.name_is_cookie_note());
        let env = [(c"USERTRACK_ID".as_ptr(), id), (c"USERTRACK_NEW".as_ptr(), new)];
        set_entries((*r).subprocess_env, env, true);
    }
}

/// Undoes `set_notes_and_env` for notes named after `name`.
unsafe fn clear_notes_and_env(r: *mut request_rec, name: PoolStr) {
    unsafe {
        apr_table_unset((*r).notes, c"cookie".as_ptr());
        apr_table_unset((*r).notes, name.as_ptr());
        apr_table_unset((*r).subprocess_env, c"USERTRACK_ID".as_ptr());
        apr_table_unset((*r).subprocess_env, c"USERTRACK_NEW".as_ptr());
    }
}

/// Makes `decided` the request's state, over an existing one or in new pool memory.
unsafe fn record(r: *mut request_rec, existing: Option<&mut RequestState>, decided: RequestState) {
    match existing {
        Some(state) => *state = decided,
        None => unsafe { request_state::record(r, &mut *alloc_value((*r).pool, decided)) },
    }
}

/// Clears what the early look noted, if it noted anything: its settings no longer apply.
unsafe fn retire_early_notes(r: *mut request_rec, state: Option<&RequestState>) {
    if let Some(RequestState::LookedEarly { config, settled: Some(_), .. }) = state {
        // SAFETY: config records live in pools that outlive every request using them.
        let name = unsafe { &**config }.cookie_name();
        unsafe { clear_notes_and_env(r, name) };
    }
}

/// An ID as found in a header (request pool memory), as NUL-terminated pool strings.
unsafe fn settled_from(pool: *mut apr_pool_t, id: &[u8], value: &[u8], new: bool) -> SettledId {
    let value_string = unsafe { PoolStr::copy(pool, value) };
    // The ID is the value, or the value's start (before `~tag`), which needs its own NUL.
    let id = if id.len() == value.len() { value_string } else { unsafe { PoolStr::copy(pool, id) } };
    SettledId { id, value: value_string, new }
}

unsafe fn log_rejection(r: *mut request_rec, config: &DirConfig, rejection: Rejection, what_next: &str) {
    let message = || {
        let mut message = b"rejected ".to_vec();
        message.extend_from_slice(config.cookie_name().bytes());
        message.extend_from_slice(b" cookie value \"");
        message.extend_from_slice(&bounded_for_log(rejection.value, REJECTED_VALUE_LOG_LIMIT));
        message.extend_from_slice(format!("\": {}; {what_next}", rejection.reason).as_bytes());
        message
    };
    unsafe { log::request_lazily(r, log::INFO, message) };
}

/// The tracking cookie in the request's `Cookie` header, judged under `config`.
unsafe fn found_now<'a>(r: *mut request_rec, config: &DirConfig) -> Option<Found<'a>> {
    let value = config.finder().find(unsafe { cookie_header((*r).headers_in) }?)?;
    Some(Found::judged(config.policy(), value))
}

/// The request's settings, if it is a main request with tracking on.
unsafe fn tracked_config<'a>(r: *mut request_rec) -> Option<&'a DirConfig> {
    if unsafe { !(*r).main.is_null() } {
        return None;
    }
    unsafe { dir_config((*r).per_dir_config.cast()) }.filter(|config| config.settings().tracking_enabled())
}

unsafe fn client_ip<'a>(r: *mut request_rec) -> &'a [u8] {
    unsafe { c_bytes((*r).useragent_ip) }.unwrap_or_default()
}

fn now_us() -> u64 {
    std::time::UNIX_EPOCH.elapsed().map_or(0, |elapsed| elapsed.as_micros() as u64)
}

/// post_read_request: one pool block for the state and the cookie's value.
unsafe fn early_look(r: *mut request_rec) -> c_int {
    let Some(config) = (unsafe { tracked_config(r) }) else { return DECLINED };
    let headers_in = unsafe { (*r).headers_in };
    let lookup = unsafe { CookieLookup::of(headers_in) };
    let header = lookup.header().and_then(|header| unsafe { c_bytes(header.value) });
    let pool = unsafe { (*r).pool };
    let state = match header.and_then(|header| config.finder().find(header)) {
        Some(value) => {
            let (slot, copy) = unsafe { alloc_slot_with_copy::<RequestState>(pool, value) };
            let found = Found::judged(config.policy(), copy.bytes());
            let settled = match found.judgement {
                Judgement::Accepted { id, .. } if id.len() == copy.bytes().len() => {
                    Some(SettledId { id: copy, value: copy, new: false })
                }
                Judgement::Accepted { id, .. } => {
                    Some(SettledId { id: unsafe { PoolStr::copy(pool, id) }, value: copy, new: false })
                }
                Judgement::Rejected(_) => None,
            };
            if let Some(settled) = settled {
                unsafe { set_notes_and_env(r, config, settled) };
            }
            slot.write(RequestState::LookedEarly { config, lookup, found: Some(found), settled })
        }
        None => unsafe { &mut *alloc_value(pool, RequestState::LookedEarly { config, lookup, found: None, settled: None }) },
    };
    unsafe { request_state::record(r, state) };
    DECLINED
}

unsafe fn track(r: *mut request_rec) -> c_int {
    if unsafe { !(*r).main.is_null() } {
        return DECLINED;
    }
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    let mut state = unsafe { request_state::state(r) };
    if !config.settings().tracking_enabled() {
        unsafe { retire_early_notes(r, state.as_deref()) };
        if config.settings().cookieless_enabled() {
            unsafe { cookieless_visit(r, config) };
            // Decided, so the hooks after fixups do not look again.
            unsafe { record(r, state.take(), RequestState::Decided { settled: None }) };
        } else if let Some(state) = state {
            *state = RequestState::Decided { settled: None };
        }
        return DECLINED;
    }
    let early = state.as_deref().and_then(|state| unsafe { state.early_look_for(config, (*r).headers_in) });
    // The common returning visitor: the early look's answer stands, and its notes with it.
    if let Some((Some(found), Some(settled))) = early
        && unsafe { (*r).prev.is_null() }
        && visit::answer_stands(config.policy(), found)
    {
        let settled = *settled;
        unsafe { record(r, state.take(), RequestState::Decided { settled: Some(settled) }) };
        return OK;
    }
    let (found, early_settled) = match early {
        Some((found, settled)) => (*found, *settled),
        None => {
            unsafe { retire_early_notes(r, state.as_deref()) };
            (unsafe { found_now(r, config) }, None)
        }
    };
    let request_time_us = u64::try_from(unsafe { (*r).request_time }).unwrap_or(0);
    let mint = |policy: &visit::Policy| {
        // Only `legacy` reads the address and the shared clock (a hash lookup): not read otherwise.
        let legacy = policy.format == IdFormat::Legacy;
        let inputs = MintInputs {
            request_time_us,
            now_us,
            client_ip: if legacy { unsafe { client_ip(r) } } else { b"" },
            random: ThreadRandom,
            shared_clock: if legacy { unsafe { shared_clock((*r).server) } } else { None },
        };
        inputs.mint(policy)
    };
    let outcome = visit::decide(config.policy(), found, unsafe { settled_before_redirect(r) }, mint);
    // The early notes stand if the early look's cookie counts as the returning visitor's: the
    // outcome's ID is then the one they hold.
    let keeps_early = early_settled.is_some() && matches!(outcome, Outcome::Returning { .. });
    if !keeps_early && early_settled.is_some() {
        unsafe { retire_early_notes(r, state.as_deref()) };
    }
    let pool = unsafe { (*r).pool };
    let settled = match outcome {
        Outcome::Returning { id, resend } => unsafe {
            let settled = match early_settled.filter(|_| keeps_early) {
                Some(early) => early,
                None => {
                    let settled = settled_from(pool, id, found.map_or(id, |found| found.value), false);
                    set_notes_and_env(r, config, settled);
                    settled
                }
            };
            match resend {
                Resend::Nothing => {}
                Resend::AsReceived(value) => add_set_cookie(r, config, SetCookieValue::Received(value)),
                Resend::Signed(value) => add_set_cookie(r, config, SetCookieValue::Ours(&value)),
            }
            Some(settled)
        },
        Outcome::Settled(earlier) => unsafe {
            let settled = settled_from(pool, earlier.id, earlier.value, earlier.new);
            set_notes_and_env(r, config, settled);
            Some(settled)
        },
        Outcome::New { ref value, inject, replaced } => unsafe {
            if let Some(rejection) = replaced {
                log_rejection(r, config, rejection, "a new ID replaces it");
            }
            Some(new_visitor(r, config, value, inject.then_some(replaced.is_some())))
        },
        Outcome::Unminted { replaced } => unsafe {
            if let Some(rejection) = replaced {
                log_rejection(r, config, rejection, "no new ID could be minted");
            }
            log::request(r, log::ERR, "no tracking cookie set: the OS gave no random seed");
            None
        },
    };
    unsafe { record(r, state.take(), RequestState::Decided { settled }) };
    OK
}

enum SetCookieValue<'a> {
    Ours(&'a CookieValue),
    Received(&'a [u8]),
}

/// Adds the Set-Cookie header, written from the config's template into `header`: request pool
/// memory of `template.output_buffer_len(value length)` bytes.
unsafe fn add_set_cookie_in(r: *mut request_rec, config: &DirConfig, value: SetCookieValue, header: &mut [MaybeUninit<u8>]) {
    let template = config.set_cookie_template();
    let request_seconds = unsafe { (*r).request_time } / 1_000_000;
    match value {
        SetCookieValue::Ours(value) => template.write(header, value, request_seconds),
        SetCookieValue::Received(value) => template.write_bytes(header, value, request_seconds),
    };
    unsafe { apr_table_addn((*r).err_headers_out, template.header_name().as_ptr(), header.as_ptr().cast()) };
}

/// `add_set_cookie_in` new pool memory.
unsafe fn add_set_cookie(r: *mut request_rec, config: &DirConfig, value: SetCookieValue) {
    let len = match value {
        SetCookieValue::Ours(value) => value.len(),
        SetCookieValue::Received(value) => value.len(),
    };
    let header = unsafe { alloc_uninit((*r).pool, config.set_cookie_template().output_buffer_len(len)) };
    unsafe { add_set_cookie_in(r, config, value, header) };
}

/// The memory a new ID takes: the value's block and its NUL, rounded to keep the header aligned.
const VALUE_COPY_LEN: usize = (VALUE_CAPACITY + 1).next_multiple_of(8);

/// `inject`: `Some(replacing)` when the value goes into the request's Cookie header too,
/// `replacing` a rejected one. One pool block holds the value and the Set-Cookie header.
unsafe fn new_visitor(r: *mut request_rec, config: &DirConfig, value: &CookieValue, inject: Option<bool>) -> SettledId {
    let pool = unsafe { (*r).pool };
    let header_len = config.set_cookie_template().output_buffer_len(value.len());
    let (value_copy, header) = unsafe { alloc_uninit(pool, VALUE_COPY_LEN + header_len) }.split_at_mut(VALUE_COPY_LEN);
    // Copied as one fixed-size block; the NUL ends the value.
    value_copy[..VALUE_CAPACITY].write_copy_of_slice(value.block());
    value_copy[value.len()].write(0);
    // SAFETY: request pool memory, initialised up to the NUL at `value.len()`.
    let value_string = unsafe { PoolStr::from_pool_buffer(value_copy, value.len()) };
    let id = if value.id().len() == value.len() { value_string } else { unsafe { PoolStr::copy(pool, value.id()) } };
    unsafe { add_set_cookie_in(r, config, SetCookieValue::Ours(value), header) };
    if let Some(replacing) = inject {
        unsafe { inject_cookie(r, config, value_string, replacing) };
    }
    let settled = SettledId { id, value: value_string, new: true };
    unsafe { set_notes_and_env(r, config, settled) };
    settled
}

unsafe fn inject_cookie(r: *mut request_rec, config: &DirConfig, value: PoolStr, replacing: bool) {
    let headers_in = unsafe { (*r).headers_in };
    let injection = Injection {
        existing: unsafe { cookie_header(headers_in) },
        name: config.cookie_name().bytes(),
        value: value.bytes(),
        drop_existing_pairs: replacing,
    };
    let buffer = unsafe { alloc_uninit((*r).pool, injection.buffer_len()) };
    // SAFETY: `write` initialises what it writes and the rest is never read.
    let buffer: &mut [u8] = unsafe { &mut *(std::ptr::from_mut(buffer) as *mut [u8]) };
    injection.write(buffer);
    unsafe { apr_table_setn(headers_in, c"Cookie".as_ptr(), buffer.as_ptr().cast()) };
}

/// A request that fixups did not decide: refused before it. Notes a returning visitor with the
/// settings in force now, mints nothing.
unsafe fn observe(r: *mut request_rec) {
    if unsafe { !(*r).main.is_null() } {
        return;
    }
    let mut state = unsafe { request_state::state(r) };
    let config = unsafe { dir_config((*r).per_dir_config.cast()) };
    let early_stands = match state.as_deref() {
        Some(RequestState::Decided { .. }) => return,
        // The early look's settings are the request's: what it noted stands.
        Some(RequestState::LookedEarly { config: looked_with, settled, .. }) => {
            config.is_some_and(|config| std::ptr::eq(*looked_with, config)).then_some(*settled)
        }
        None => None,
    };
    if let Some(settled) = early_stands {
        unsafe { record(r, state.take(), RequestState::Decided { settled }) };
        return;
    }
    unsafe { retire_early_notes(r, state.as_deref()) };
    if let Some(config) = config.filter(|config| config.settings().cookieless_enabled()) {
        unsafe { cookieless_visit(r, config) };
    }
    let tracked = config.filter(|config| config.settings().tracking_enabled());
    let settled = tracked.and_then(|config| match unsafe { found_now(r, config) } {
        Some(Found { value, judgement: Judgement::Accepted { id, .. } }) => {
            let settled = unsafe { settled_from((*r).pool, id, value, false) };
            unsafe { set_notes_and_env(r, config, settled) };
            Some(settled)
        }
        Some(Found { judgement: Judgement::Rejected(rejection), .. }) => {
            unsafe { log_rejection(r, config, rejection, "the request was refused before an ID could be set") };
            None
        }
        None => None,
    });
    unsafe { record(r, state.take(), RequestState::Decided { settled }) };
}

#[inline(always)]
fn request_hook(r: *mut request_rec, hook: &str, body: impl FnOnce() -> c_int) -> c_int {
    catching(
        || {
            fault_point(hook, unsafe { (*r).headers_in });
            body()
        },
        |panic| unsafe { log::request(r, log::ERR, &format!("internal error in {hook}, request not tracked: {panic}")) },
        || DECLINED,
    )
}

pub unsafe extern "C" fn post_read_request(r: *mut request_rec) -> c_int {
    request_hook(r, "post_read_request", || unsafe { early_look(r) })
}

pub unsafe extern "C" fn fixups(r: *mut request_rec) -> c_int {
    request_hook(r, "fixups", || unsafe { track(r) })
}

pub unsafe extern "C" fn insert_error_filter(r: *mut request_rec) {
    request_hook(r, "insert_error_filter", || unsafe {
        observe(r);
        DECLINED
    });
}

pub unsafe extern "C" fn log_transaction(r: *mut request_rec) -> c_int {
    request_hook(r, "log_transaction", || unsafe {
        observe(r);
        DECLINED
    })
}

pub unsafe extern "C" fn post_config(
    pconf: *mut apr_pool_t,
    _plog: *mut apr_pool_t,
    _ptemp: *mut apr_pool_t,
    server: *mut server_rec,
) -> c_int {
    let body = || unsafe {
        fault_point("post_config", std::ptr::null_mut());
        // ClickPath's records are complete once every server's config is read.
        make_all_ready(server);
        if ensure_shared_clock(server).is_none() {
            log::server(server, log::WARNING, "no shared memory for the legacy ID clock: legacy IDs may repeat");
        }
        if let Err(message) = start_salt_cache(server, pconf) {
            log::server(server, log::ERR, &format!("CookielessTracking: {message}"));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        OK
    };
    server_hook(server, "post_config", body, || OK)
}

pub unsafe extern "C" fn child_init(pool: *mut apr_pool_t, server: *mut server_rec) {
    let body = || unsafe {
        fault_point("child_init", std::ptr::null_mut());
        reseed_after_fork();
        seed_counter();
        if let Err(message) = attach_salt_cache(server, pool) {
            log::server(server, log::ERR, &format!("CookielessTracking: {message}; cookieless IDs are off in this process"));
        }
    };
    // An atomic increment: the child must not keep the generator state of its parent.
    server_hook(server, "child_init", body, reseed_after_fork)
}
