//! The request hooks.
//!
//! post_read_request (server-level settings) looks for a returning visitor's cookie early, so its
//! ID is logged even when the request is refused before fixups. fixups (per-directory settings)
//! makes the decision stock mod_usertrack makes, reusing the early scan when the Cookie header
//! and cookie name are unchanged, and reusing the ID of the request an internal redirect came
//! from instead of minting a second one.

use std::ffi::{c_char, c_int, c_void};

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
    /// The config record and `Cookie` header (NULL: none) the last scan used.
    scanned_with: *const DirConfig,
    scanned_header: *const c_char,
    /// What that scan found; it is in the notes.
    found: Option<PoolStr>,
    /// The ID fixups settled on (found or minted).
    id: Option<PoolStr>,
}

impl RequestState {
    fn scanned_config(&self) -> &DirConfig {
        // SAFETY: config records live in pools that outlive every request using them.
        unsafe { &*self.scanned_with }
    }

    /// Whether this scan's result holds for `config` and `header`. Most requests are served by
    /// the very record post_read_request used (sections without Cookie* directives merge to it).
    fn still_valid_for(&self, config: &DirConfig, header: *const c_char) -> bool {
        self.scanned_header == header
            && (std::ptr::eq(self.scanned_with, config)
                || self.scanned_config().cookie_name().bytes() == config.cookie_name().bytes())
    }
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

unsafe fn cookie_header(r: *mut request_rec) -> *const c_char {
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

unsafe fn scan(pool: *mut apr_pool_t, header: *const c_char, config: &DirConfig) -> Option<PoolStr> {
    let value = config.finder().find(unsafe { c_bytes(header) }?)?;
    Some(unsafe { PoolStr::copy(pool, value) })
}

unsafe fn early_lookup(r: *mut request_rec) -> c_int {
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    if unsafe { !(*r).main.is_null() } || !config.settings.tracking_enabled() {
        return DECLINED;
    }
    let header = unsafe { cookie_header(r) };
    let found = unsafe { scan((*r).pool, header, config) };
    if let Some(value) = found {
        unsafe { set_notes(r, config.cookie_name(), value) };
    }
    unsafe { store_state(r, RequestState { scanned_with: config, scanned_header: header, found, id: None }) };
    DECLINED
}

/// Mints an ID, adds its Set-Cookie header and returns the ID; `None` (logged) if no random bits.
unsafe fn mint_cookie(r: *mut request_rec, config: &DirConfig) -> Option<PoolStr> {
    let pool = unsafe { (*r).pool };
    let request_time_us = u64::try_from(unsafe { (*r).request_time }).unwrap_or(0);
    let now_us = || std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_micros() as u64);
    let id_buffer = unsafe { alloc_bytes(pool, MAX_ID_LEN) };
    let id_array = (&mut id_buffer[..MAX_ID_LEN]).try_into().expect("alloc_bytes gave MAX_ID_LEN + 1 bytes");
    let Some(id_len) = mint_id(&mut ThreadRandom, request_time_us, now_us, id_array) else {
        unsafe { log::request(r, log::ERR, "no tracking cookie set: the OS gave no random seed") };
        return None;
    };
    // SAFETY: alloc_bytes zeroed the buffer, so the ID is NUL-terminated in the request pool.
    let id = unsafe { PoolStr::from_pool_buffer(id_buffer, id_len) };

    let attributes = config.cookie_attributes();
    let header = unsafe { alloc_bytes(pool, attributes.max_header_len(id_len)) };
    attributes.write_header(&mut ByteWriter::new(header), id.bytes(), (request_time_us / 1_000_000) as i64);
    unsafe { apr_table_addn((*r).err_headers_out, attributes.header_name().as_ptr(), header.as_ptr().cast()) };
    Some(id)
}

unsafe fn track(r: *mut request_rec) -> c_int {
    if unsafe { !(*r).main.is_null() } {
        return DECLINED;
    }
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    let header = unsafe { cookie_header(r) };
    let early = unsafe { state(r) }.copied();
    let reusable = early.filter(|early| config.settings.tracking_enabled() && early.still_valid_for(config, header));
    if let Some(stale) = early.filter(|early| reusable.is_none() && early.found.is_some()) {
        unsafe { clear_notes(r, stale.scanned_config().cookie_name()) };
    }
    if !config.settings.tracking_enabled() {
        return DECLINED;
    }

    let (found, notes_already_set) = match reusable {
        Some(early) => (early.found, early.found.is_some()),
        None => (unsafe { scan((*r).pool, header, config) }, false),
    };
    let (id, status) = if let Some(found) = found {
        (Some(found), DECLINED)
    } else if let Some(id) = unsafe { id_before_redirect(r) } {
        (Some(id), DECLINED)
    } else {
        let minted = unsafe { mint_cookie(r, config) };
        (minted, if minted.is_some() { OK } else { DECLINED })
    };
    if let Some(id) = id.filter(|_| !notes_already_set) {
        unsafe { set_notes(r, config.cookie_name(), id) };
    }
    unsafe { store_state(r, RequestState { scanned_with: config, scanned_header: header, found, id }) };
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
