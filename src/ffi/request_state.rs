//! What this module knows about one request, kept in its slot of `r->request_config`.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use super::bindings::request_rec;
use super::cookie_header::{CookieHeader, CookieLookup};
use super::dir_config::DirConfig;
use super::module::module_index;
use super::pool::{PoolStr, alloc_value, config_slot};

#[derive(Clone, Copy)]
pub struct RequestState {
    /// The config record and `Cookie` header lookup the last scan used.
    pub scanned_with: *const DirConfig,
    pub lookup: CookieLookup,
    /// What that scan found; it is in the notes.
    pub found: Option<PoolStr>,
    /// The ID fixups settled on (found or minted).
    pub id: Option<PoolStr>,
    /// Request pool memory post_read_request set aside to mint in when it found no cookie:
    /// `mint_buffer_len(scanned_with)` bytes, used at most once.
    pub mint_buffer: Option<NonNull<MaybeUninit<u8>>>,
}

impl RequestState {
    pub fn scanned_config(&self) -> &DirConfig {
        // SAFETY: config records live in pools that outlive every request using them.
        unsafe { &*self.scanned_with }
    }

    /// Whether this scan's result holds for `config` and `header`. Most requests are served by
    /// the very record post_read_request used (sections without Cookie* directives merge to it).
    pub fn still_valid_for(&self, config: &DirConfig, header: Option<CookieHeader>) -> bool {
        self.lookup.header().map(|scanned| scanned.value) == header.map(|current| current.value)
            && (std::ptr::eq(self.scanned_with, config)
                || self.scanned_config().cookie_name().bytes() == config.cookie_name().bytes())
    }

    /// The set-aside memory, if there is any and it is big enough to mint for `config`.
    ///
    /// # Safety
    /// Called at most once per request with a `Some` result.
    pub unsafe fn take_mint_buffer<'a>(&mut self, config: &DirConfig) -> Option<&'a mut [MaybeUninit<u8>]> {
        let len = mint_buffer_len(config);
        if len > mint_buffer_len(self.scanned_config()) {
            return None;
        }
        let start = self.mint_buffer.take()?;
        // SAFETY: request pool memory of at least `len` bytes, not handed out before.
        Some(unsafe { NonNull::slice_from_raw_parts(start, len).as_mut() })
    }

    /// `take_mint_buffer` for `scanned_with` itself, which the memory was sized for.
    ///
    /// # Safety
    /// Called at most once per request with a `Some` result.
    pub unsafe fn take_own_mint_buffer<'a>(&mut self) -> Option<&'a mut [MaybeUninit<u8>]> {
        let start = self.mint_buffer.take()?;
        // SAFETY: request pool memory of this many bytes, not handed out before.
        Some(unsafe { NonNull::slice_from_raw_parts(start, mint_buffer_len(self.scanned_config())).as_mut() })
    }
}

/// How much memory minting a cookie for `config` needs: the ID's block, then the header.
pub fn mint_buffer_len(config: &DirConfig) -> usize {
    crate::core::tracking_id::ID_BLOCK_LEN + config.set_cookie_template().output_buffer_len()
}

unsafe fn slot(r: *mut request_rec) -> *mut *mut RequestState {
    unsafe { config_slot((*r).request_config.cast::<c_void>(), module_index()).cast() }
}

/// The request's state, if a hook recorded one.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn state<'a>(r: *mut request_rec) -> Option<&'a mut RequestState> {
    unsafe { (*slot(r)).as_mut() }
}

/// Makes `state` (in `r`'s pool) the request's state.
///
/// # Safety
/// `r` is a live request and `state` lives in its pool.
pub unsafe fn record(r: *mut request_rec, state: &mut RequestState) {
    unsafe { *slot(r) = state };
}

/// Records `new_state` over `existing`, or if the request has none yet, in new pool memory.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn store(
    r: *mut request_rec,
    existing: Option<&mut RequestState>,
    new_state: RequestState,
) -> &mut RequestState {
    match existing {
        Some(existing) => {
            *existing = new_state;
            existing
        }
        None => {
            let stored = unsafe { &mut *alloc_value((*r).pool, new_state) };
            unsafe { record(r, stored) };
            stored
        }
    }
}

/// The ID an earlier request in an internal-redirect chain settled on.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn id_before_redirect(r: *mut request_rec) -> Option<PoolStr> {
    let mut previous = unsafe { (*r).prev };
    while !previous.is_null() {
        if let Some(id) = unsafe { state(previous) }.and_then(|state| state.id) {
            return Some(id);
        }
        previous = unsafe { (*previous).prev };
    }
    None
}
