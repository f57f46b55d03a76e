//! What the translation decided for the output filter, kept in the request's notes (an internal
//! redirect copies it from the request it replaces).

use super::super::bindings::{apr_table_get, apr_table_setn, request_rec};
use crate::core::clickpath::translate::FilterMode;

const NOTE: &std::ffi::CStr = c"ClickPathSessionMode";

/// No note means `Off`: a crawler's request (and one that inherits `Off`) writes none.
///
/// # Safety
/// `r` is a live request whose notes hold no mode yet.
pub unsafe fn record(r: *mut request_rec, mode: FilterMode) {
    let value: &'static std::ffi::CStr = match mode {
        FilterMode::Off => return,
        FilterMode::Existing => c"existing",
        FilterMode::NewSession => c"new",
        FilterMode::ReplacedSession => c"replaced",
    };
    unsafe { apr_table_setn((*r).notes, NOTE.as_ptr(), value.as_ptr()) };
}

/// # Safety
/// `r` is a live request.
pub unsafe fn recorded(r: *const request_rec) -> FilterMode {
    let value = unsafe { apr_table_get((*r).notes, NOTE.as_ptr()) };
    if value.is_null() {
        return FilterMode::Off;
    }
    match unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes() {
        b"existing" => FilterMode::Existing,
        b"new" => FilterMode::NewSession,
        b"replaced" => FilterMode::ReplacedSession,
        _ => FilterMode::Off,
    }
}
