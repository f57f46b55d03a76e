//! Finding the request's `Cookie` header, and telling cheaply that it is still the same one.
//!
//! Both hooks need the header. Instead of a second `apr_table_get` in fixups, post_read_request
//! remembers which table entry it read; fixups checks that entry in O(1) and looks again only if
//! another module replaced the table, the entry or its value.

use std::ffi::c_char;

use super::bindings::{apr_array_header_t, apr_table_entry_t, apr_table_t};

/// A `Cookie` entry of a request's `headers_in`, as found.
#[derive(Clone, Copy)]
pub struct CookieHeader {
    table: *const apr_table_t,
    index: usize,
    key: *const c_char,
    pub value: *const c_char,
}

/// `apr_table_elts`, a macro in apr_tables.h: a table starts with its entry array.
unsafe fn entries<'a>(table: *const apr_table_t) -> &'a [apr_table_entry_t] {
    let array = unsafe { &*table.cast::<apr_array_header_t>() };
    match usize::try_from(array.nelts) {
        // SAFETY: an APR table's array holds `nelts` initialised `apr_table_entry_t`s.
        Ok(len) if len > 0 => unsafe { std::slice::from_raw_parts(array.elts.cast(), len) },
        _ => &[],
    }
}

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

impl CookieHeader {
    /// The first `Cookie` entry, the one `apr_table_get(table, "Cookie")` returns.
    ///
    /// # Safety
    /// `table` is a live APR table.
    pub unsafe fn find(table: *const apr_table_t) -> Option<Self> {
        let entries = unsafe { entries(table) };
        let index = entries.iter().position(|entry| unsafe { is_cookie_key(entry.key) })?;
        let entry = &entries[index];
        Some(Self { table, index, key: entry.key, value: entry.val })
    }

    /// Whether `table`'s first `Cookie` entry is still this one, with the same value string.
    ///
    /// APR tables only ever append entries, and remove, merge or re-sort them by rewriting the
    /// array: an entry that kept its position, name and value pointers is still the first match.
    ///
    /// # Safety
    /// `table` is a live APR table.
    pub unsafe fn is_current_in(&self, table: *const apr_table_t) -> bool {
        std::ptr::eq(table, self.table)
            && unsafe { entries(table) }
                .get(self.index)
                .is_some_and(|entry| std::ptr::eq(entry.key, self.key) && std::ptr::eq(entry.val, self.value))
    }
}
