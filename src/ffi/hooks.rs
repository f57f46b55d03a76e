//! The request hooks.
//!
//! post_read_request (server-level settings) looks for a returning visitor's cookie early, so its
//! ID is logged even when the request is refused before fixups. fixups (per-directory settings)
//! makes the decision stock mod_usertrack makes, reusing the early scan when the Cookie header
//! and cookie name are unchanged, and reusing the ID of the request an internal redirect came
//! from instead of minting a second one.

use std::ffi::{c_int, c_void};

use super::bindings::{
    DECLINED, OK, apr_pool_t, apr_table_addn, apr_table_get, apr_table_setn, apr_table_unset, request_rec,
    server_rec,
};
use super::dir_config::{DirConfig, dir_config};
use super::guard::catching;
use super::log;
use super::module::module_index;
use super::pool::{PoolStr, alloc_bytes, alloc_value, c_bytes, config_slot};
use crate::core::byte_writer::ByteWriter;
use crate::core::tracking_id::{MAX_ID_LEN, mint_id};
use crate::random::{ThreadRandom, reseed_after_fork};

/// What this module knows about one request, kept in `r->request_config`.
#[derive(Clone, Copy)]
struct RequestState {
    /// The `Cookie` header post_read_request scanned (NULL: none) and the name it looked for.
    scanned_header: *const std::ffi::c_char,
    scanned_name: PoolStr,
    /// The value post_read_request found and put in the notes.
    early_value: Option<PoolStr>,
    /// The ID fixups settled on (found or minted).
    id: Option<PoolStr>,
}

unsafe fn state_slot(r: *mut request_rec) -> *mut *mut RequestState {
    unsafe { config_slot((*r).request_config.cast::<c_void>(), module_index()).cast() }
}

unsafe fn state<'a>(r: *mut request_rec) -> Option<&'a mut RequestState> {
    unsafe { (*state_slot(r)).as_mut() }
}

unsafe fn store_state(r: *mut request_rec, new_state: RequestState) {
    match unsafe { state(r) } {
        Some(existing) => *existing = new_state,
        None => unsafe { *state_slot(r) = alloc_value((*r).pool, new_state) },
    }
}

/// The ID an earlier request in an internal-redirect chain settled on.
unsafe fn id_before_redirect(r: *mut request_rec) -> Option<PoolStr> {
    let mut previous = unsafe { (*r).prev };
    while !previous.is_null() {
        if let Some(id) = unsafe { state(previous) }.and_then(|state| state.id) {
            return Some(id);
        }
        previous = unsafe { (*previous).prev };
    }
    None
}

unsafe fn cookie_header(r: *mut request_rec) -> *const std::ffi::c_char {
    unsafe { apr_table_get((*r).headers_in, c"Cookie".as_ptr()) }
}

/// The `cookie` note, as stock, and one named after the cookie for `%{Apache}n`.
unsafe fn set_notes(r: *mut request_rec, name: PoolStr, value: PoolStr) {
    unsafe {
        apr_table_setn((*r).notes, c"cookie".as_ptr(), value.as_ptr());
        apr_table_setn((*r).notes, name.as_ptr(), value.as_ptr());
    }
}

unsafe fn clear_notes(r: *mut request_rec, name: PoolStr) {
    unsafe {
        apr_table_unset((*r).notes, c"cookie".as_ptr());
        apr_table_unset((*r).notes, name.as_ptr());
    }
}

unsafe fn scan(pool: *mut apr_pool_t, header: *const std::ffi::c_char, config: &DirConfig) -> Option<PoolStr> {
    let value = config.finder().find(unsafe { c_bytes(header) }?)?;
    Some(unsafe { PoolStr::copy(pool, value) })
}

unsafe fn early_lookup(r: *mut request_rec) -> c_int {
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    if unsafe { !(*r).main.is_null() } || !config.settings.tracking_enabled() {
        return DECLINED;
    }
    let name = config.cookie_name();
    let header = unsafe { cookie_header(r) };
    let early_value = unsafe { scan((*r).pool, header, config) };
    if let Some(value) = early_value {
        unsafe { set_notes(r, name, value) };
    }
    unsafe { store_state(r, RequestState { scanned_header: header, scanned_name: name, early_value, id: None }) };
    DECLINED
}

/// Mints an ID, adds its Set-Cookie header and returns it; `None` (logged) if no random bits.
unsafe fn mint_cookie(r: *mut request_rec, config: &DirConfig) -> Option<PoolStr> {
    let pool = unsafe { (*r).pool };
    let mut id = [0u8; MAX_ID_LEN];
    let request_time_us = u64::try_from(unsafe { (*r).request_time }).unwrap_or(0);
    let now_us = || std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_micros() as u64);
    let Some(id_len) = mint_id(&mut ThreadRandom, request_time_us, now_us, &mut id) else {
        unsafe { log::request(r, log::ERR, "no tracking cookie set: the OS gave no random seed") };
        return None;
    };
    let id = &id[..id_len];

    let attributes = config.cookie_attributes();
    let header = unsafe { alloc_bytes(pool, attributes.max_header_len(id.len())) };
    let mut writer = ByteWriter::new(header);
    attributes.write_header(&mut writer, id, (request_time_us / 1_000_000) as i64);
    debug_assert!(writer.written() < header.len(), "alloc_bytes leaves room for the NUL");
    unsafe {
        apr_table_addn((*r).err_headers_out, attributes.header_name().as_ptr(), header.as_ptr().cast());
        // The ID is the header's bytes after "NAME="; copying keeps the note a string of its own.
        Some(PoolStr::copy(pool, id))
    }
}

unsafe fn track(r: *mut request_rec) -> c_int {
    if unsafe { !(*r).main.is_null() } {
        return DECLINED;
    }
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    let early = unsafe { state(r) }.copied();
    let name = config.cookie_name();
    if let Some(RequestState { early_value: Some(_), scanned_name, .. }) = early {
        if !config.settings.tracking_enabled() || scanned_name.bytes() != name.bytes() {
            unsafe { clear_notes(r, scanned_name) };
        }
    }
    if !config.settings.tracking_enabled() {
        return DECLINED;
    }

    let header = unsafe { cookie_header(r) };
    let rescan_needed = early.is_none_or(|e| e.scanned_header != header || e.scanned_name.bytes() != name.bytes());
    let (found, notes_already_set) = match early {
        Some(early) if !rescan_needed => (early.early_value, early.early_value.is_some()),
        _ => (unsafe { scan((*r).pool, header, config) }, false),
    };

    let (id, status) = if let Some(found) = found {
        (Some(found), DECLINED)
    } else if let Some(id) = unsafe { id_before_redirect(r) } {
        (Some(id), DECLINED)
    } else {
        let minted = unsafe { mint_cookie(r, config) };
        (minted, if minted.is_some() { OK } else { DECLINED })
    };
    if let Some(id) = id {
        if !notes_already_set {
            unsafe { set_notes(r, name, id) };
        }
    }
    unsafe { store_state(r, RequestState { scanned_header: header, scanned_name: name, early_value: found, id }) };
    status
}

fn request_hook(r: *mut request_rec, hook: &str, body: unsafe fn(*mut request_rec) -> c_int) -> c_int {
    catching(
        || unsafe { body(r) },
        |panic| unsafe { log::request(r, log::ERR, &format!("internal error in {hook}, request not tracked: {panic}")) },
        || DECLINED,
    )
}

pub unsafe extern "C" fn post_read_request(r: *mut request_rec) -> c_int {
    request_hook(r, "post_read_request", early_lookup)
}

pub unsafe extern "C" fn fixups(r: *mut request_rec) -> c_int {
    request_hook(r, "fixups", track)
}

pub unsafe extern "C" fn child_init(_pool: *mut apr_pool_t, server: *mut server_rec) {
    catching(
        reseed_after_fork,
        |panic| unsafe { log::server(server, log::ERR, &format!("internal error in child_init: {panic}")) },
        || (),
    )
}
