//! What this module settled for one request, kept in its slot of `r->request_config`: the
//! mark that the request was handled, and the ID a later request of its internal-redirect
//! chain continues with.

use std::ffi::c_void;

use super::bindings::request_rec;
use super::module::module_index;
use super::pool::{PoolStr, config_slot};
use crate::core::visit::Settled;

#[derive(Clone, Copy)]
pub struct RequestState {
    /// `None`: handled, but untracked (no cookie, or one that was rejected, and no ID minted).
    pub settled: Option<SettledId>,
}

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

unsafe fn slot(r: *mut request_rec) -> *mut *mut RequestState {
    unsafe { config_slot((*r).request_config.cast::<c_void>(), module_index()).cast() }
}

/// Whether a hook already handled the request.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn is_handled(r: *mut request_rec) -> bool {
    unsafe { !(*slot(r)).is_null() }
}

/// Makes `state` (in `r`'s pool) the request's state.
///
/// # Safety
/// `r` is a live request and `state` lives in its pool.
pub unsafe fn record(r: *mut request_rec, state: &mut RequestState) {
    unsafe { *slot(r) = state };
}

/// What an earlier request of an internal-redirect chain settled on.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn settled_before_redirect<'a>(r: *mut request_rec) -> Option<Settled<'a>> {
    let mut previous = unsafe { (*r).prev };
    while !previous.is_null() {
        let state = unsafe { (*slot(previous)).as_ref() };
        if let Some(settled) = state.and_then(|state| state.settled) {
            return Some(settled.as_settled());
        }
        previous = unsafe { (*previous).prev };
    }
    None
}
