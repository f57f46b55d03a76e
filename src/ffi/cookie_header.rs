//! Finding the request's `Cookie` header, and telling cheaply that the answer still holds.
//!
//! Both hooks need the header. Instead of a second search in fixups, post_read_request
//! remembers which table entry it read, or if there was none, how the table ended; fixups checks
//! that in O(1) and searches again only if another module changed it.

use std::ffi::c_char;

use super::bindings::{apr_table_entry_t, apr_table_t};
use super::table::entries;

/// A `Cookie` entry of a request's `headers_in`, as found.
#[derive(Clone, Copy)]
pub struct CookieHeader {
    table: *const apr_table_t,
    /// Where the entry was: a pointer, not an index, so that the search counts nothing.
    entry: *const apr_table_entry_t,
    key: *const c_char,
    pub value: *const c_char,
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
        let entry = entries.iter().find(|entry| unsafe { is_cookie_key(entry.key) })?;
        Some(Self { table, entry, key: entry.key, value: entry.val })
    }

    /// Whether `table`'s first `Cookie` entry is still this one, with the same value string.
    ///
    /// APR tables only ever append entries, and remove, merge or re-sort them by rewriting the
    /// array: an entry that kept its position, name and value pointers is still the first match.
    /// A reallocated array cannot contain the old position (the old block is still allocated).
    ///
    /// # Safety
    /// `table` is a live APR table.
    pub unsafe fn is_current_in(&self, table: *const apr_table_t) -> bool {
        std::ptr::eq(table, self.table)
            && unsafe { entries(table) }.as_ptr_range().contains(&self.entry)
            // SAFETY: inside the table's live array.
            && unsafe { std::ptr::eq((*self.entry).key, self.key) && std::ptr::eq((*self.entry).val, self.value) }
    }
}

/// How a table without a `Cookie` entry ended.
#[derive(Clone, Copy)]
pub struct TableEnd {
    table: *const apr_table_t,
    end: *const apr_table_entry_t,
    /// The last entry's key and value (NULL for an empty table).
    last: (*const c_char, *const c_char),
}

impl TableEnd {
    unsafe fn of(table: *const apr_table_t) -> Self {
        let entries = unsafe { entries(table) };
        let last = entries.last().map_or((std::ptr::null(), std::ptr::null()), |entry| (entry.key, entry.val));
        Self { table, end: entries.as_ptr_range().end, last }
    }

    /// Whether `table` still has no `Cookie` entry.
    ///
    /// Entries are only ever added at the end, so one added since is the last entry or has
    /// entries after it. Either moves the array's end or changes its last entry, unless as many
    /// were removed and the new last entry has the very key and value strings of the old one:
    /// APR's calls copy strings or take the caller's, so only a module that re-adds the removed
    /// entry's own strings, or re-sorts the table (`apr_table_compress`), could do that.
    unsafe fn is_current_in(&self, table: *const apr_table_t) -> bool {
        let now = unsafe { Self::of(table) };
        std::ptr::eq(now.table, self.table) && std::ptr::eq(now.end, self.end) && now.last == self.last
    }
}

/// A search of a table for its first `Cookie` entry, with what it found.
#[derive(Clone, Copy)]
pub enum CookieLookup {
    Found(CookieHeader),
    Absent(TableEnd),
}

impl CookieLookup {
    /// # Safety
    /// `table` is a live APR table.
    pub unsafe fn of(table: *const apr_table_t) -> Self {
        match unsafe { CookieHeader::find(table) } {
            Some(header) => Self::Found(header),
            None => Self::Absent(unsafe { TableEnd::of(table) }),
        }
    }

    /// Whether searching `table` now would give the same answer.
    ///
    /// # Safety
    /// `table` is a live APR table.
    pub unsafe fn is_current_in(&self, table: *const apr_table_t) -> bool {
        match self {
            Self::Found(header) => unsafe { header.is_current_in(table) },
            Self::Absent(end) => unsafe { end.is_current_in(table) },
        }
    }

    pub fn header(&self) -> Option<CookieHeader> {
        match self {
            Self::Found(header) => Some(*header),
            Self::Absent(_) => None,
        }
    }
}

/// The value of the first `Cookie` entry of a request's `headers_in`.
///
/// # Safety
/// `table` is a live APR table whose strings outlive `'a`.
pub unsafe fn cookie_header<'a>(table: *const apr_table_t) -> Option<&'a [u8]> {
    unsafe { super::pool::c_bytes(CookieHeader::find(table)?.value) }
}
