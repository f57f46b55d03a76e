//! Strings and structs that live in APR pools, the only memory handed to httpd.

use std::ffi::{CStr, c_char, c_void};
use std::ptr::NonNull;

use super::bindings::{apr_palloc, apr_pool_t, apr_pstrmemdup};

/// A NUL-terminated byte string owned by an APR pool that outlives every use of this handle
/// (the config pool for settings, the request pool for request data).
#[derive(Clone, Copy, Debug)]
pub struct PoolStr {
    ptr: NonNull<c_char>,
    len: usize,
}

impl PoolStr {
    /// Copies `bytes` (which contain no NUL: they come from C strings) into `pool`.
    ///
    /// # Safety
    /// `pool` is a live APR pool.
    pub unsafe fn copy(pool: *mut apr_pool_t, bytes: &[u8]) -> Self {
        let ptr = unsafe { apr_pstrmemdup(pool, bytes.as_ptr().cast(), bytes.len()) };
        Self { ptr: NonNull::new(ptr).expect("apr_pstrmemdup never returns NULL"), len: bytes.len() }
    }

    /// Wraps the first `len` bytes of a buffer from `alloc_bytes`, which must hold a NUL at `len`.
    ///
    /// # Safety
    /// `buffer` came from `alloc_bytes` on a pool outliving the handle, and `buffer[len] == 0`.
    pub unsafe fn from_pool_buffer(buffer: &mut [u8], len: usize) -> Self {
        debug_assert_eq!(buffer[len], 0);
        Self { ptr: NonNull::from(buffer).cast(), len }
    }

    pub fn bytes<'a>(self) -> &'a [u8] {
        // SAFETY: by construction the pool holds `len` initialised bytes for the handle's life.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast(), self.len) }
    }

    pub fn as_ptr(self) -> *const c_char {
        self.ptr.as_ptr()
    }
}

/// Uninitialised pool memory for `len` bytes plus a trailing NUL.
///
/// # Safety
/// `pool` is a live APR pool.
pub unsafe fn alloc_bytes<'a>(pool: *mut apr_pool_t, len: usize) -> &'a mut [u8] {
    let ptr: *mut u8 = unsafe { apr_palloc(pool, len + 1) }.cast();
    // SAFETY: apr_palloc returned len + 1 writable bytes; zeroing makes them initialised.
    unsafe {
        ptr.write_bytes(0, len + 1);
        std::slice::from_raw_parts_mut(ptr, len + 1)
    }
}

/// Moves `value` into pool memory. Pools free without running Drop, so `value` must own no heap
/// memory (or anything else needing a destructor).
///
/// `apr_palloc` aligns to 8 bytes only; `T` may need more (SIMD state needs 32), so the pointer
/// is aligned by hand inside a slightly larger allocation.
///
/// # Safety
/// `pool` is a live APR pool.
pub unsafe fn alloc_value<T>(pool: *mut apr_pool_t, value: T) -> *mut T {
    let align = std::mem::align_of::<T>();
    let raw: *mut u8 = unsafe { apr_palloc(pool, std::mem::size_of::<T>() + align - 1) }.cast();
    let ptr: *mut T = unsafe { raw.add(raw.align_offset(align)) }.cast();
    unsafe { ptr.write(value) };
    ptr
}

/// A directive error message httpd can keep: copied into the config pool.
///
/// # Safety
/// `pool` is a live APR pool.
pub unsafe fn error_message(pool: *mut apr_pool_t, message: &str) -> *const c_char {
    let sanitised = message.replace('\0', "\\0");
    unsafe { PoolStr::copy(pool, sanitised.as_bytes()) }.as_ptr()
}

/// The bytes of a C string from httpd.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
pub unsafe fn c_bytes<'a>(ptr: *const c_char) -> Option<&'a [u8]> {
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_bytes())
}

/// Reads slot `module_index` of an httpd config vector (what `ap_get_module_config` does).
///
/// # Safety
/// `vector` is a live `ap_conf_vector_t` and `module_index` this module's index.
pub unsafe fn config_slot(vector: *mut c_void, module_index: i32) -> *mut *mut c_void {
    unsafe { vector.cast::<*mut c_void>().add(module_index as usize) }
}
