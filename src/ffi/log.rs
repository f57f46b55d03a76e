//! Messages into httpd's error log. The message is always an argument to a `"%s"` format, so a
//! `%` in a cookie or path can never be read as a conversion.

use std::ffi::{CString, c_int};

use super::bindings::{
    APLOG_NOERRNO, ap_get_request_module_loglevel, ap_log_error_, ap_log_rerror_, request_rec, server_rec,
};
use super::module::module_index;

pub use super::bindings::{APLOG_DEBUG as DEBUG, APLOG_ERR as ERR, APLOG_INFO as INFO, APLOG_NOTICE as NOTICE, APLOG_WARNING as WARNING};

const SOURCE_FILE: &std::ffi::CStr = c"mod_usertrack.rs";

fn c_message(message: &[u8]) -> CString {
    let without_nul: Vec<u8> = message.iter().flat_map(|byte| if *byte == 0 { &b"\\0"[..] } else { std::slice::from_ref(byte) }).copied().collect();
    CString::new(without_nul).expect("NULs were replaced")
}

/// # Safety
/// `r` is a live request.
pub unsafe fn request(r: *const request_rec, level: c_int, message: &str) {
    unsafe { request_bytes(r, level, message.as_bytes()) };
}

/// A message of raw bytes (a client's, say): httpd's error log escapes what it writes.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn request_bytes(r: *const request_rec, level: c_int, message: &[u8]) {
    let message = c_message(message);
    unsafe {
        ap_log_rerror_(
            SOURCE_FILE.as_ptr(),
            line!() as c_int,
            module_index(),
            level | APLOG_NOERRNO,
            0,
            r,
            c"%s".as_ptr(),
            message.as_ptr(),
        )
    };
}

/// Logs the message `message()` makes, only if the request's log level for this module lets it
/// through: a message that costs work to make is not made for nothing.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn request_lazily(r: *const request_rec, level: c_int, message: impl FnOnce() -> Vec<u8>) {
    if level <= unsafe { ap_get_request_module_loglevel(r, module_index()) } {
        unsafe { request_bytes(r, level, &message()) };
    }
}

/// # Safety
/// `s` is a live server or NULL.
pub unsafe fn server(s: *const server_rec, level: c_int, message: &str) {
    let message = c_message(message.as_bytes());
    unsafe {
        ap_log_error_(
            SOURCE_FILE.as_ptr(),
            line!() as c_int,
            module_index(),
            level | APLOG_NOERRNO,
            0,
            s,
            c"%s".as_ptr(),
            message.as_ptr(),
        )
    };
}
