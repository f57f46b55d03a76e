//! Finding the request's `Cookie` header: the first entry, as `apr_table_get` returns it,
//! without a call.

use std::ffi::c_char;

use super::bindings::apr_table_t;
use super::pool::c_bytes;
use super::table::entries;

/// Whether a header name is `Cookie`, compared as `apr_table_get` does (ASCII case folded).
/// Stops at the first mismatch, so reads no byte past the key's NUL.
unsafe fn is_cookie_key(key: *const c_char) -> bool {
    // For a letter, `byte | 0x20 == letter` holds for exactly its two cases.
    let folded = |offset: usize| unsafe { *key.add(offset) as u8 } | 0x20;
    folded(0) == b'c'
        && folded(1) == b'o'
        && folded(2) == b'o'
        && folded(3) == b'k'
        && folded(4) == b'i'
        && folded(5) == b'e'
        && unsafe { *key.add(6) } == 0
}

/// The value of the first `Cookie` entry of a request's `headers_in`.
///
/// # Safety
/// `table` is a live APR table whose strings outlive `'a`.
pub unsafe fn cookie_header<'a>(table: *const apr_table_t) -> Option<&'a [u8]> {
    let entries = unsafe { entries(table) };
    let entry = entries.iter().find(|entry| unsafe { is_cookie_key(entry.key) })?;
    unsafe { c_bytes(entry.val) }
}
