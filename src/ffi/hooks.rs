//! The request hooks.
//!
//! post_read_request (server-level settings) looks for a returning visitor's cookie early, so its
//! ID is logged even when the request is refused before fixups; for any other visitor it sets
//! aside the memory fixups will mint in. fixups (per-directory settings) makes the decision stock
//! mod_usertrack makes, reusing the early look when the Cookie header and cookie name are
//! unchanged, and reusing the ID of the request an internal redirect came from instead of minting
//! a second one.

use std::ffi::c_int;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use super::bindings::{
    DECLINED, OK, apr_pool_t, apr_table_addn, apr_table_setn, apr_table_unset, request_rec, server_rec,
};
use super::cookie_header::{CookieHeader, CookieLookup};
use super::dir_config::{DirConfig, dir_config};
use super::guard::catching;
use super::log;
use super::pool::{PoolStr, alloc_slot_with_copy, alloc_slot_with_uninit, alloc_uninit, c_bytes};
use super::request_state::{self, RequestState, id_before_redirect, mint_buffer_len};
use super::table;
use crate::core::tracking_id::{ID_BLOCK_LEN, mint_id};
use crate::random::{ThreadRandom, reseed_after_fork};

/// The request's `Cookie` header lookup; `known` (from an earlier hook) is reused if still current.
unsafe fn lookup_cookie_header(r: *mut request_rec, known: Option<CookieLookup>) -> CookieLookup {
    let headers_in = unsafe { (*r).headers_in };
    match known {
        Some(lookup) if unsafe { lookup.is_current_in(headers_in) } => lookup,
        _ => unsafe { CookieLookup::of(headers_in) },
    }
}

/// The `cookie` note, as stock, and one named after the cookie for `%{Apache}n`.
///
/// They replace notes of the same names, as `apr_table_setn` does. In a table without such a
/// note, `apr_table_addn` leaves exactly what `apr_table_setn` would, for less: so when the
/// table is empty (as in post_read_request), the notes are added, unless they are one.
#[inline(always)]
unsafe fn set_notes(r: *mut request_rec, config: &DirConfig, value: PoolStr) {
    let notes = unsafe { (*r).notes };
    let name = config.cookie_name();
    unsafe {
        if table::is_empty(notes) && !config.name_is_cookie_note() {
            apr_table_addn(notes, c"cookie".as_ptr(), value.as_ptr());
            apr_table_addn(notes, name.as_ptr(), value.as_ptr());
        } else {
            apr_table_setn(notes, c"cookie".as_ptr(), value.as_ptr());
            apr_table_setn(notes, name.as_ptr(), value.as_ptr());
        }
    }
}

unsafe fn clear_notes(r: *mut request_rec, name: PoolStr) {
    unsafe {
        apr_table_unset((*r).notes, c"cookie".as_ptr());
        apr_table_unset((*r).notes, name.as_ptr());
    }
}

unsafe fn scan(pool: *mut apr_pool_t, header: Option<CookieHeader>, config: &DirConfig) -> Option<PoolStr> {
    let value = config.finder().find(unsafe { c_bytes(header?.value) }?)?;
    Some(unsafe { PoolStr::copy(pool, value) })
}

/// Sets the notes for a returning visitor. For any other, sets aside the memory to mint in, in
/// the block that holds the state: one allocation for the request either way.
unsafe fn early_lookup(r: *mut request_rec) -> c_int {
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    if unsafe { !(*r).main.is_null() } || !config.settings().tracking_enabled() {
        return DECLINED;
    }
    let lookup = unsafe { CookieLookup::of((*r).headers_in) };
    let header = lookup.header().and_then(|header| unsafe { c_bytes(header.value) });
    let pool = unsafe { (*r).pool };
    let early = |found, mint_buffer| RequestState { scanned_with: config, lookup, found, id: None, mint_buffer };
    let state = match header.and_then(|header| config.finder().find(header)) {
        Some(value) => {
            let (slot, found) = unsafe { alloc_slot_with_copy(pool, value) };
            unsafe { set_notes(r, config, found) };
            slot.write(early(Some(found), None))
        }
        None => {
            let (slot, buffer) = unsafe { alloc_slot_with_uninit::<RequestState>(pool, mint_buffer_len(config)) };
            slot.write(early(None, NonNull::new(buffer.as_mut_ptr())))
        }
    };
    unsafe { request_state::record(r, state) };
    DECLINED
}

/// Where fixups mints: memory for the ID and its header, and the request's state, recorded
/// already, to complete with the ID.
struct MintSite<'a> {
    buffer: &'a mut [MaybeUninit<u8>],
    state: &'a mut RequestState,
}

enum Decision<'a> {
    Done(c_int),
    Mint(MintSite<'a>),
}

/// Mints an ID into `buffer` (request pool memory, `mint_buffer_len` bytes) and adds its
/// Set-Cookie header. `None` (logged) if there were no random bits.
unsafe fn mint_cookie(r: *mut request_rec, config: &DirConfig, buffer: &mut [MaybeUninit<u8>]) -> Option<PoolStr> {
    let request_time_us = u64::try_from(unsafe { (*r).request_time }).unwrap_or(0);
    let now_us = || std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_micros() as u64);
    let Some(id) = mint_id(&mut ThreadRandom, request_time_us, now_us) else {
        unsafe { log::request(r, log::ERR, "no tracking cookie set: the OS gave no random seed") };
        return None;
    };

    let template = config.set_cookie_template();
    let (id_buffer, header) = buffer.split_at_mut(ID_BLOCK_LEN);
    // An ID is shorter than its block, so the NUL fits.
    id_buffer.write_copy_of_slice(id.block());
    id_buffer[id.len()].write(0);
    // SAFETY: request pool memory, initialised up to the NUL at `id.len()`.
    let id_string = unsafe { PoolStr::from_pool_buffer(id_buffer, id.len()) };

    template.write(header, &id, (request_time_us / 1_000_000) as i64);
    unsafe { apr_table_addn((*r).err_headers_out, template.header_name().as_ptr(), header.as_ptr().cast()) };
    Some(id_string)
}

unsafe fn track(r: *mut request_rec) -> c_int {
    if unsafe { !(*r).main.is_null() } {
        return DECLINED;
    }
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    let decision = match unsafe { request_state::state(r) } {
        Some(early) if unsafe { answered_early(r, config, early) } => unsafe { decide_as_looked_early(r, config, early) },
        existing => unsafe { decide(r, config, existing) },
    };
    let MintSite { buffer, state } = match decision {
        Decision::Done(status) => return status,
        Decision::Mint(site) => site,
    };
    let Some(id) = (unsafe { mint_cookie(r, config, buffer) }) else { return DECLINED };
    unsafe { set_notes(r, config, id) };
    state.id = Some(id);
    OK
}

/// Whether post_read_request (no ID settled yet) looked with this very record, tracking is on
/// and its answer still holds: the common case.
unsafe fn answered_early(r: *mut request_rec, config: &DirConfig, early: &RequestState) -> bool {
    early.id.is_none()
        && std::ptr::eq(early.scanned_with, config)
        && config.settings().tracking_enabled()
        && unsafe { early.lookup.is_current_in((*r).headers_in) }
}

/// The common case, decided as `decide` would but without its bookkeeping.
unsafe fn decide_as_looked_early<'a>(r: *mut request_rec, config: &DirConfig, early: &'a mut RequestState) -> Decision<'a> {
    if early.found.is_some() {
        early.id = early.found;
        return Decision::Done(DECLINED);
    }
    // After an internal redirect, `decide` reuses the earlier request's ID.
    if unsafe { (*r).prev.is_null() }
        && let Some(buffer) = unsafe { early.take_own_mint_buffer() }
    {
        return Decision::Mint(MintSite { buffer, state: early });
    }
    unsafe { decide(r, config, Some(early)) }
}

unsafe fn decide<'a>(r: *mut request_rec, config: &DirConfig, existing: Option<&'a mut RequestState>) -> Decision<'a> {
    let early = existing.as_deref().copied();
    let lookup = unsafe { lookup_cookie_header(r, early.map(|early| early.lookup)) };
    let header = lookup.header();
    let reusable = early.filter(|early| config.settings().tracking_enabled() && early.still_valid_for(config, header));
    if let Some(stale) = early.filter(|early| reusable.is_none() && early.found.is_some()) {
        unsafe { clear_notes(r, stale.scanned_config().cookie_name()) };
    }
    if !config.settings().tracking_enabled() {
        return Decision::Done(DECLINED);
    }

    let (found, notes_already_set) = match reusable {
        Some(early) => (early.found, early.found.is_some()),
        None => (unsafe { scan((*r).pool, header, config) }, false),
    };
    let id = found.or_else(|| unsafe { id_before_redirect(r) });
    if let Some(id) = id.filter(|_| !notes_already_set) {
        unsafe { set_notes(r, config, id) };
    }
    let new_state = RequestState { scanned_with: config, lookup, found, id, mint_buffer: None };
    if id.is_some() {
        unsafe { request_state::store(r, existing, new_state) };
        return Decision::Done(DECLINED);
    }

    let len = mint_buffer_len(config);
    let pool = unsafe { (*r).pool };
    let (buffer, state) = match existing {
        Some(existing) => {
            // SAFETY: minting happens once per request.
            let set_aside = unsafe { existing.take_mint_buffer(config) };
            let buffer = set_aside.unwrap_or_else(|| unsafe { alloc_uninit(pool, len) });
            (buffer, unsafe { request_state::store(r, Some(existing), new_state) })
        }
        None => {
            let (slot, buffer) = unsafe { alloc_slot_with_uninit(pool, len) };
            let state = slot.write(new_state);
            unsafe { request_state::record(r, state) };
            (buffer, state)
        }
    };
    Decision::Mint(MintSite { buffer, state })
}

#[inline(always)]
fn request_hook(r: *mut request_rec, hook: &str, body: impl FnOnce() -> c_int) -> c_int {
    catching(
        body,
        |panic| unsafe { log::request(r, log::ERR, &format!("internal error in {hook}, request not tracked: {panic}")) },
        || DECLINED,
    )
}

pub unsafe extern "C" fn post_read_request(r: *mut request_rec) -> c_int {
    request_hook(r, "post_read_request", || unsafe { early_lookup(r) })
}

pub unsafe extern "C" fn fixups(r: *mut request_rec) -> c_int {
    request_hook(r, "fixups", || unsafe { track(r) })
}

pub unsafe extern "C" fn child_init(_pool: *mut apr_pool_t, server: *mut server_rec) {
    catching(
        reseed_after_fork,
        |panic| unsafe { log::server(server, log::ERR, &format!("internal error in child_init: {panic}")) },
        || (),
    )
}
