//! Walking and editing bucket brigades: what the `APR_BRIGADE_*` / `APR_BUCKET_*` macros of
//! apr_buckets.h do, written out (macros have no symbol to call).

use std::ffi::c_char;

use super::super::bindings::{
    apr_bucket, apr_bucket_brigade, apr_bucket_type_eos, apr_read_type_e, apr_size_t, apr_status_t,
};

/// `APR_BRIGADE_SENTINEL`: the list head seen as a bucket (`link` is a bucket's first field).
///
/// # Safety
/// `brigade` is a live brigade.
pub unsafe fn sentinel(brigade: *mut apr_bucket_brigade) -> *mut apr_bucket {
    unsafe { (&raw mut (*brigade).list).cast() }
}

/// # Safety
/// `brigade` is a live brigade.
pub unsafe fn first(brigade: *mut apr_bucket_brigade) -> *mut apr_bucket {
    unsafe { (*brigade).list.next }
}

/// # Safety
/// `bucket` is a live bucket.
pub unsafe fn next(bucket: *mut apr_bucket) -> *mut apr_bucket {
    unsafe { (*bucket).link.next }
}

/// # Safety
/// `bucket` is a live bucket.
pub unsafe fn is_eos(bucket: *const apr_bucket) -> bool {
    unsafe { std::ptr::eq((*bucket).type_, &raw const apr_bucket_type_eos) }
}

/// # Safety
/// `bucket` is a live bucket. FLUSH buckets are metadata too: they pass in place.
pub unsafe fn is_metadata(bucket: *const apr_bucket) -> bool {
    unsafe { (*(*bucket).type_).is_metadata != 0 }
}

/// `apr_bucket_read` with a blocking read.
///
/// # Safety
/// `bucket` is a live data bucket; the slice is valid until the bucket changes.
pub unsafe fn read<'a>(bucket: *mut apr_bucket) -> Result<&'a [u8], apr_status_t> {
    let mut data: *const c_char = std::ptr::null();
    let mut len: apr_size_t = 0;
    let read = unsafe { (*(*bucket).type_).read }.expect("every bucket type has a read function");
    let status = unsafe { read(bucket, &mut data, &mut len, apr_read_type_e::APR_BLOCK_READ) };
    if status != 0 {
        return Err(status);
    }
    Ok(if data.is_null() || len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(data.cast(), len) } })
}

/// `APR_BUCKET_REMOVE` then `APR_BRIGADE_INSERT_TAIL`: moves a bucket to the end of `to`.
///
/// # Safety
/// `bucket` is a live bucket in some brigade and `to` a live brigade of the same allocator.
pub unsafe fn move_to_tail(bucket: *mut apr_bucket, to: *mut apr_bucket_brigade) {
    unsafe {
        (*(*bucket).link.prev).link.next = (*bucket).link.next;
        (*(*bucket).link.next).link.prev = (*bucket).link.prev;
        let tail = sentinel(to);
        (*bucket).link.next = tail;
        (*bucket).link.prev = (*tail).link.prev;
        (*(*tail).link.prev).link.next = bucket;
        (*tail).link.prev = bucket;
    }
}
