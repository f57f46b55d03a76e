//! The request hooks.
//!
//! post_read_request (server-level settings) looks for a returning visitor's cookie early, so its
//! ID is logged even when the request is refused before fixups. fixups (per-directory settings)
//! makes the decision stock mod_usertrack makes, reusing the early scan when the Cookie header
//! and cookie name are unchanged, and reusing the ID of the request an internal redirect came
//! from instead of minting a second one.

use std::ffi::{c_int, c_void};
use std::mem::MaybeUninit;

use super::bindings::{
    DECLINED, OK, apr_pool_t, apr_table_addn, apr_table_setn, apr_table_unset, request_rec, server_rec,
};
use super::cookie_header::CookieHeader;
use super::dir_config::{DirConfig, dir_config};
use super::guard::catching;
use super::log;
use super::module::module_index;
use super::pool::{PoolStr, alloc_slot_with_copy, alloc_slot_with_uninit, alloc_value, c_bytes, config_slot};
use crate::core::tracking_id::{ID_BLOCK_LEN, mint_id};
use crate::random::{ThreadRandom, reseed_after_fork};

/// What this module knows about one request, kept in `r->request_config`.
#[derive(Clone, Copy)]
struct RequestState {
    /// The config record and `Cookie` header (`None`: there was none) the last scan used.
    scanned_with: *const DirConfig,
    scanned_header: Option<CookieHeader>,
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
    fn still_valid_for(&self, config: &DirConfig, header: Option<CookieHeader>) -> bool {
        self.scanned_header.map(|scanned| scanned.value) == header.map(|current| current.value)
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

/// Records the request's state, in `spare` if this is the request's first and one was allocated.
unsafe fn store_state(r: *mut request_rec, new_state: RequestState, spare: Option<&mut MaybeUninit<RequestState>>) {
    match unsafe { state(r) } {
        Some(existing) => *existing = new_state,
        None => {
            let stored = match spare {
                Some(slot) => slot.write(new_state),
                None => unsafe { &mut *alloc_value((*r).pool, new_state) },
            };
            unsafe { *state_slot(r) = stored };
        }
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

/// The request's `Cookie` header; `known` (from an earlier hook) is reused if still current.
unsafe fn cookie_header(r: *mut request_rec, known: Option<CookieHeader>) -> Option<CookieHeader> {
    let headers_in = unsafe { (*r).headers_in };
    match known {
        Some(header) if unsafe { header.is_current_in(headers_in) } => Some(header),
        _ => unsafe { CookieHeader::find(headers_in) },
    }
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

unsafe fn scan(pool: *mut apr_pool_t, header: Option<CookieHeader>, config: &DirConfig) -> Option<PoolStr> {
    let value = config.finder().find(unsafe { c_bytes(header?.value) }?)?;
    Some(unsafe { PoolStr::copy(pool, value) })
}

/// Sets the notes for a returning visitor. Nothing is recorded otherwise: fixups then looks for
/// the header itself, which costs no more than checking an earlier look.
unsafe fn early_lookup(r: *mut request_rec) -> c_int {
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    if unsafe { !(*r).main.is_null() } || !config.settings().tracking_enabled() {
        return DECLINED;
    }
    let header = unsafe { cookie_header(r, None) };
    let Some(value) = header.and_then(|header| config.finder().find(unsafe { c_bytes(header.value) }?)) else {
        return DECLINED;
    };
    let (slot, found) = unsafe { alloc_slot_with_copy((*r).pool, value) };
    unsafe { set_notes(r, config.cookie_name(), found) };
    let state = slot.write(RequestState { scanned_with: config, scanned_header: header, found: Some(found), id: None });
    unsafe { *state_slot(r) = state };
    DECLINED
}

/// Mints an ID and adds its Set-Cookie header. Returns the ID and a slot for the request's state,
/// in the pool block the header lives in; `None` (logged) if there were no random bits.
unsafe fn mint_cookie<'a>(r: *mut request_rec, config: &DirConfig) -> Option<(PoolStr, &'a mut MaybeUninit<RequestState>)> {
    let request_time_us = u64::try_from(unsafe { (*r).request_time }).unwrap_or(0);
    let now_us = || std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_micros() as u64);
    let Some(id) = mint_id(&mut ThreadRandom, request_time_us, now_us) else {
        unsafe { log::request(r, log::ERR, "no tracking cookie set: the OS gave no random seed") };
        return None;
    };

    let template = config.set_cookie_template();
    let (slot, bytes) = unsafe { alloc_slot_with_uninit((*r).pool, ID_BLOCK_LEN + template.output_buffer_len()) };
    let (id_buffer, header) = bytes.split_at_mut(ID_BLOCK_LEN);
    // An ID is shorter than its block, so the NUL fits.
    id_buffer.write_copy_of_slice(id.block());
    id_buffer[id.len()].write(0);
    // SAFETY: request pool memory, initialised up to the NUL at `id.len()`.
    let id_string = unsafe { PoolStr::from_pool_buffer(id_buffer, id.len()) };

    let header_len = template.write(header, &id, (request_time_us / 1_000_000) as i64);
    header[header_len].write(0);
    unsafe { apr_table_addn((*r).err_headers_out, template.header_name().as_ptr(), header.as_ptr().cast()) };
    Some((id_string, slot))
}

unsafe fn track(r: *mut request_rec) -> c_int {
    if unsafe { !(*r).main.is_null() } {
        return DECLINED;
    }
    let Some(config) = (unsafe { dir_config((*r).per_dir_config.cast()) }) else { return DECLINED };
    if let Some(early) = unsafe { state(r) } {
        // The common case, decided as below would but without the general bookkeeping:
        // post_read_request (no ID settled yet) found the cookie with this very record, in a
        // header still current.
        let header_current = early.scanned_header.is_some_and(|header| unsafe { header.is_current_in((*r).headers_in) });
        let from_post_read_request = early.id.is_none();
        if from_post_read_request && header_current && std::ptr::eq(early.scanned_with, config)
            && config.settings().tracking_enabled()
        {
            early.id = early.found;
            return DECLINED;
        }
    }
    let early = unsafe { state(r) }.copied();
    let header = unsafe { cookie_header(r, early.and_then(|early| early.scanned_header)) };
    let reusable = early.filter(|early| config.settings().tracking_enabled() && early.still_valid_for(config, header));
    if let Some(stale) = early.filter(|early| reusable.is_none() && early.found.is_some()) {
        unsafe { clear_notes(r, stale.scanned_config().cookie_name()) };
    }
    if !config.settings().tracking_enabled() {
        return DECLINED;
    }

    let (found, notes_already_set) = match reusable {
        Some(early) => (early.found, early.found.is_some()),
        None => (unsafe { scan((*r).pool, header, config) }, false),
    };
    let (id, status, spare_slot) = if let Some(found) = found {
        (Some(found), DECLINED, None)
    } else if let Some(id) = unsafe { id_before_redirect(r) } {
        (Some(id), DECLINED, None)
    } else {
        match unsafe { mint_cookie(r, config) } {
            Some((minted, slot)) => (Some(minted), OK, Some(slot)),
            None => (None, DECLINED, None),
        }
    };
    if let Some(id) = id.filter(|_| !notes_already_set) {
        unsafe { set_notes(r, config.cookie_name(), id) };
    }
    unsafe { store_state(r, RequestState { scanned_with: config, scanned_header: header, found, id }, spare_slot) };
    status
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
