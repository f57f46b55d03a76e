//! Reading an APR table directly, as the macros in apr_tables.h do, without a call.

use super::bindings::{apr_array_header_t, apr_table_entry_t, apr_table_t};

/// `apr_table_elts`: a table starts with its entry array.
///
/// # Safety
/// `table` is a live APR table, not changed while the slice is in use.
pub unsafe fn entries<'a>(table: *const apr_table_t) -> &'a [apr_table_entry_t] {
    let array = unsafe { &*table.cast::<apr_array_header_t>() };
    match usize::try_from(array.nelts) {
        // SAFETY: an APR table's array holds `nelts` initialised `apr_table_entry_t`s.
        Ok(len) if len > 0 => unsafe { std::slice::from_raw_parts(array.elts.cast(), len) },
        _ => &[],
    }
}

/// `apr_is_empty_table`.
///
/// # Safety
/// `table` is a live APR table.
pub unsafe fn is_empty(table: *const apr_table_t) -> bool {
    unsafe { entries(table) }.is_empty()
}
