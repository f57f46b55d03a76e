//! What this module knows about one request, kept in its slot of `r->request_config`.

use std::ffi::c_void;

use super::bindings::request_rec;
use super::cookie_header::CookieLookup;
use super::dir_config::DirConfig;
use super::module::module_index;
use super::pool::{PoolStr, config_slot};
use crate::core::visit::{Found, Settled};

#[derive(Clone, Copy)]
pub enum RequestState {
    /// post_read_request looked with the server's settings `config`: `found` is what it found
    /// and how that judged; if it counted, `settled` is in the notes and environment already.
    /// fixups reuses all of it when its settings and the `Cookie` header are still the same.
    LookedEarly { config: *const DirConfig, lookup: CookieLookup, found: Option<Found<'static>>, settled: Option<SettledId> },
    /// fixups decided, or the request was looked at once more when refused before fixups.
    Decided { settled: Option<SettledId> },
}

/// An ID in the notes and environment.
#[derive(Clone, Copy)]
pub struct SettledId {
    pub id: PoolStr,
    /// The cookie's value: the ID, or the ID and its tag.
    pub value: PoolStr,
    pub new: bool,
}

impl SettledId {
    pub fn as_settled<'a>(&self) -> Settled<'a> {
        Settled { id: self.id.bytes(), value: self.value.bytes(), new: self.new }
    }
}

impl RequestState {
    /// The early look, if it was made with `config` and `headers_in` still gives its answer.
    ///
    /// # Safety
    /// `headers_in` is the request's live header table.
    pub unsafe fn early_look_for(
        &self,
        config: &DirConfig,
        headers_in: *const super::bindings::apr_table_t,
    ) -> Option<(&Option<Found<'static>>, &Option<SettledId>)> {
        match self {
            Self::LookedEarly { config: looked_with, lookup, found, settled }
                if std::ptr::eq(*looked_with, config) && unsafe { lookup.is_current_in(headers_in) } =>
            {
                Some((found, settled))
            }
            _ => None,
        }
    }
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

/// What an earlier request of an internal-redirect chain decided.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn settled_before_redirect<'a>(r: *mut request_rec) -> Option<Settled<'a>> {
    let mut previous = unsafe { (*r).prev };
    while !previous.is_null() {
        if let Some(RequestState::Decided { settled: Some(settled) }) = unsafe { state(previous) }.map(|state| *state) {
            return Some(settled.as_settled());
        }
        previous = unsafe { (*previous).prev };
    }
    None
}
