//! Walking and editing bucket brigades: what the `APR_BRIGADE_*` / `APR_BUCKET_*` macros of
//! apr_buckets.h do, written out (macros have no symbol to call).

use std::ffi::c_char;

use super::super::bindings::{
    apr_bucket, apr_bucket_brigade, apr_bucket_flush_create, apr_bucket_type_eos, apr_read_type_e, apr_size_t,
    apr_status_t,
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

/// `apr_bucket_read`, blocking or not (`APR_EAGAIN` then: a pipe or CGI with nothing ready yet).
///
/// # Safety
/// `bucket` is a live data bucket; the slice is valid until the bucket changes.
pub unsafe fn read<'a>(bucket: *mut apr_bucket, mode: apr_read_type_e::Type) -> Result<&'a [u8], apr_status_t> {
    let mut data: *const c_char = std::ptr::null();
    let mut len: apr_size_t = 0;
    let read = unsafe { (*(*bucket).type_).read }.expect("every bucket type has a read function");
    let status = unsafe { read(bucket, &mut data, &mut len, mode) };
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
        remove(bucket);
        insert_tail(bucket, to);
    }
}

/// `apr_bucket_delete`: unlinks the bucket and frees it with its data (an mmap of a file, a
/// pipe's buffer), so what was read is not held until the brigade ends.
///
/// # Safety
/// `bucket` is a live bucket in some brigade; nothing refers to it or its data afterwards.
pub unsafe fn delete(bucket: *mut apr_bucket) {
    unsafe {
        remove(bucket);
        if let Some(destroy) = (*(*bucket).type_).destroy {
            destroy((*bucket).data);
        }
        if let Some(free) = (*bucket).free {
            free(bucket.cast());
        }
    }
}

/// `APR_BUCKET_REMOVE`.
///
/// # Safety
/// `bucket` is a live bucket in some brigade.
unsafe fn remove(bucket: *mut apr_bucket) {
    unsafe {
        (*(*bucket).link.prev).link.next = (*bucket).link.next;
        (*(*bucket).link.next).link.prev = (*bucket).link.prev;
    }
}

/// A FLUSH bucket at the end of `to`: the filters after this one send what they hold.
///
/// # Safety
/// `to` is a live brigade.
pub unsafe fn append_flush(to: *mut apr_bucket_brigade) {
    unsafe { insert_tail(apr_bucket_flush_create((*to).bucket_alloc), to) }
}

/// `APR_BRIGADE_INSERT_TAIL`.
///
/// # Safety
/// `bucket` is a live bucket in no brigade and `to` a live brigade of the same allocator.
unsafe fn insert_tail(bucket: *mut apr_bucket, to: *mut apr_bucket_brigade) {
    unsafe {
        let tail = sentinel(to);
        (*bucket).link.next = tail;
        (*bucket).link.prev = (*tail).link.prev;
        (*(*tail).link.prev).link.next = bucket;
        (*tail).link.prev = bucket;
    }
}
