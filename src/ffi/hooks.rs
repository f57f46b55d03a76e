//! The request hooks: read what the request brings, let `core::visit` decide, apply the outcome.
//!
//! fixups (per-directory settings, `<If>` included) decides as stock mod_usertrack does, with
//! the options of `core::visit`. A request refused before fixups (401, 403, a redirect from
//! translate_name) is looked at when its error response is made and, at the latest, when it is
//! logged: with the settings in force for it by then, a returning visitor's ID goes into the
//! notes and environment, so refused requests stay in the clickstream; nothing is minted.

use std::ffi::{c_char, c_int};

use super::bindings::{
    DECLINED, OK, apr_pool_t, apr_table_addn, apr_table_setn, request_rec, server_rec,
};
use super::clickpath::server_config::make_all_ready;
use super::clickpath::translate_hook::seed_counter;
use super::cookie_header::cookie_header;
use super::dir_config::{DirConfig, dir_config};
use super::guard::{catching, server_hook};
use super::log;
use super::pool::{PoolStr, alloc_uninit, alloc_value, c_bytes};
use super::request_state::{self, RequestState, SettledId, settled_before_redirect};
use super::shared_clock::{ensure_shared_clock, shared_clock};
use super::table;
use crate::core::cookie_inject::Injection;
use crate::core::cookie_value::CookieValue;
use crate::core::log_escape::escape_for_log;
use crate::core::visit::{self, Judgement, MintInputs, Outcome, Rejection, Resend};
use crate::random::{ThreadRandom, reseed_after_fork};

/// The longest part of a rejected value the error log shows.
const REJECTED_VALUE_LOG_LIMIT: usize = 100;

/// The `cookie` note, as stock, and one named after the cookie for `%{Apache}n`.
///
/// They replace notes of the same names, as `apr_table_setn` does. In a table without such a
/// note, `apr_table_addn` leaves exactly what `apr_table_setn` would, for less: so when the
/// table is empty, the notes are added, unless they are one.
#[inline(always)]
unsafe fn set_notes(r: *mut request_rec, config: &DirConfig, id: PoolStr) {
    let notes = unsafe { (*r).notes };
    let name = config.cookie_name();
    unsafe {
        if table::is_empty(notes) && !config.name_is_cookie_note() {
            apr_table_addn(notes, c"cookie".as_ptr(), id.as_ptr());
            apr_table_addn(notes, name.as_ptr(), id.as_ptr());
        } else {
            apr_table_setn(notes, c"cookie".as_ptr(), id.as_ptr());
            apr_table_setn(notes, name.as_ptr(), id.as_ptr());
        }
    }
}

/// Notes and environment for a tracked request, and its state for later hooks and redirects.
unsafe fn settle(r: *mut request_rec, config: &DirConfig, settled: SettledId) {
    unsafe {
        set_notes(r, config, settled.id);
        let env = (*r).subprocess_env;
        apr_table_setn(env, c"USERTRACK_ID".as_ptr(), settled.id.as_ptr());
        let new: *const c_char = if settled.new { c"1".as_ptr() } else { c"0".as_ptr() };
        apr_table_setn(env, c"USERTRACK_NEW".as_ptr(), new);
        record(r, Some(settled));
    }
}

unsafe fn record(r: *mut request_rec, settled: Option<SettledId>) {
    unsafe { request_state::record(r, &mut *alloc_value((*r).pool, RequestState { settled })) };
}

unsafe fn log_rejection(r: *mut request_rec, config: &DirConfig, rejection: Rejection, what_next: &str) {
    let message = || {
        format!(
            "rejected {} cookie value \"{}\": {}; {what_next}",
            String::from_utf8_lossy(config.cookie_name().bytes()),
            escape_for_log(rejection.value, REJECTED_VALUE_LOG_LIMIT),
            rejection.reason,
        )
    };
    unsafe { log::request_lazily(r, log::INFO, message) };
}

/// The tracking cookie's value in the request's `Cookie` header.
unsafe fn found_value<'a>(r: *mut request_rec, config: &DirConfig) -> Option<&'a [u8]> {
    config.finder().find(unsafe { cookie_header((*r).headers_in) }?)
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

unsafe fn track(r: *mut request_rec) -> c_int {
    let Some(config) = (unsafe { tracked_config(r) }) else { return DECLINED };
    let found = unsafe { found_value(r, config) };
    let settled = unsafe { settled_before_redirect(r) };
    let request_time_us = u64::try_from(unsafe { (*r).request_time }).unwrap_or(0);
    let mint = |policy: &visit::Policy| {
        let inputs = MintInputs {
            request_time_us,
            now_us,
            client_ip: unsafe { client_ip(r) },
            random: ThreadRandom,
            shared_clock: unsafe { shared_clock((*r).server) },
        };
        inputs.mint(policy)
    };
    match visit::decide(config.policy(), found, settled, mint) {
        Outcome::Returning { id, resend } => unsafe { returning(r, config, id, found.unwrap_or(id), resend) },
        Outcome::Settled(settled) => {
            let pool = unsafe { (*r).pool };
            let id = unsafe { PoolStr::copy(pool, settled.id) };
            let value = if settled.value == settled.id { id } else { unsafe { PoolStr::copy(pool, settled.value) } };
            unsafe { settle(r, config, SettledId { id, value, new: settled.new }) };
        }
        Outcome::New { value, inject, replaced } => unsafe {
            if let Some(rejection) = replaced {
                log_rejection(r, config, rejection, "a new ID replaces it");
            }
            new_visitor(r, config, &value, inject.then_some(replaced.is_some()));
        },
        Outcome::Unminted { replaced } => unsafe {
            if let Some(rejection) = replaced {
                log_rejection(r, config, rejection, "no new ID could be minted");
            }
            log::request(r, log::ERR, "no tracking cookie set: the OS gave no random seed");
            record(r, None);
        },
    }
    OK
}

unsafe fn returning(r: *mut request_rec, config: &DirConfig, id: &[u8], value: &[u8], resend: Resend) {
    let pool = unsafe { (*r).pool };
    let id_string = unsafe { PoolStr::copy(pool, id) };
    let value_string = if value == id { id_string } else { unsafe { PoolStr::copy(pool, value) } };
    match resend {
        Resend::Nothing => {}
        Resend::AsReceived(value) => unsafe { add_set_cookie(r, config, SetCookieValue::Received(value)) },
        Resend::Signed(value) => unsafe { add_set_cookie(r, config, SetCookieValue::Ours(&value)) },
    }
    unsafe { settle(r, config, SettledId { id: id_string, value: value_string, new: false }) };
}

enum SetCookieValue<'a> {
    Ours(&'a CookieValue),
    Received(&'a [u8]),
}

/// Adds the Set-Cookie header, written from the config's template into request pool memory.
unsafe fn add_set_cookie(r: *mut request_rec, config: &DirConfig, value: SetCookieValue) {
    let template = config.set_cookie_template();
    let request_seconds = unsafe { (*r).request_time } / 1_000_000;
    let len = match value {
        SetCookieValue::Ours(value) => value.len(),
        SetCookieValue::Received(value) => value.len(),
    };
    let header = unsafe { alloc_uninit((*r).pool, template.output_buffer_len(len)) };
    match value {
        SetCookieValue::Ours(value) => template.write(header, value, request_seconds),
        SetCookieValue::Received(value) => template.write_bytes(header, value, request_seconds),
    };
    unsafe { apr_table_addn((*r).err_headers_out, template.header_name().as_ptr(), header.as_ptr().cast()) };
}

/// `inject`: `Some(replacing)` when the value goes into the request's Cookie header too,
/// `replacing` a rejected one.
unsafe fn new_visitor(r: *mut request_rec, config: &DirConfig, value: &CookieValue, inject: Option<bool>) {
    let pool = unsafe { (*r).pool };
    let value_string = unsafe { copy_value(pool, value) };
    let id = if value.id().len() == value.len() { value_string } else { unsafe { PoolStr::copy(pool, value.id()) } };
    unsafe { add_set_cookie(r, config, SetCookieValue::Ours(value)) };
    if let Some(replacing) = inject {
        unsafe { inject_cookie(r, config, value_string, replacing) };
    }
    unsafe { settle(r, config, SettledId { id, value: value_string, new: true }) };
}

/// A NUL-terminated copy of a minted value in pool memory, copied as one fixed-size block.
unsafe fn copy_value(pool: *mut apr_pool_t, value: &CookieValue) -> PoolStr {
    let buffer = unsafe { alloc_uninit(pool, value.block().len() + 1) };
    buffer[..value.block().len()].write_copy_of_slice(value.block());
    buffer[value.len()].write(0);
    // SAFETY: request pool memory, initialised up to the NUL at `value.len()`.
    unsafe { PoolStr::from_pool_buffer(buffer, value.len()) }
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

/// A request that fixups did not handle: note a returning visitor, mint nothing.
unsafe fn observe(r: *mut request_rec) {
    if unsafe { request_state::is_handled(r) } {
        return;
    }
    let Some(config) = (unsafe { tracked_config(r) }) else { return };
    let found = unsafe { found_value(r, config) };
    match found.map(|value| visit::judge(config.policy(), value)) {
        Some(Judgement::Accepted { id, .. }) => {
            let pool = unsafe { (*r).pool };
            let id = unsafe { PoolStr::copy(pool, id) };
            let value = unsafe { PoolStr::copy(pool, found.unwrap_or_default()) };
            unsafe { settle(r, config, SettledId { id, value, new: false }) };
        }
        Some(Judgement::Rejected(rejection)) => unsafe {
            log_rejection(r, config, rejection, "the request was refused before an ID could be set");
            record(r, None);
        },
        None => unsafe { record(r, None) },
    }
}

#[inline(always)]
fn request_hook(r: *mut request_rec, hook: &str, body: impl FnOnce() -> c_int) -> c_int {
    catching(
        body,
        |panic| unsafe { log::request(r, log::ERR, &format!("internal error in {hook}, request not tracked: {panic}")) },
        || DECLINED,
    )
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
    _pconf: *mut apr_pool_t,
    _plog: *mut apr_pool_t,
    _ptemp: *mut apr_pool_t,
    server: *mut server_rec,
) -> c_int {
    let body = || unsafe {
        // ClickPath's records are complete once every server's config is read.
        make_all_ready(server);
        if ensure_shared_clock(server).is_none() {
            log::server(server, log::WARNING, "no shared memory for the legacy ID clock: legacy IDs may repeat");
        }
        OK
    };
    server_hook(server, "post_config", body, || OK)
}

pub unsafe extern "C" fn child_init(_pool: *mut apr_pool_t, server: *mut server_rec) {
    let body = || {
        reseed_after_fork();
        seed_counter();
    };
    server_hook(server, "child_init", body, || ())
}
