//! Strings and structs that live in APR pools, the only memory handed to httpd.

use std::ffi::{CStr, c_char, c_void};
use std::mem::MaybeUninit;
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

    /// Wraps the first `len` bytes of pool memory.
    ///
    /// # Safety
    /// `buffer` is memory of a pool outliving the handle, its first `len` bytes are initialised
    /// and `buffer[len]` is an initialised NUL.
    pub unsafe fn from_pool_buffer(buffer: &[MaybeUninit<u8>], len: usize) -> Self {
        debug_assert_eq!(unsafe { buffer[len].assume_init() }, 0);
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

/// Pool memory for a `T` and `tail_len` bytes right after it: one allocation where the request
/// path would otherwise make two.
///
/// # Safety
/// `pool` is a live APR pool.
unsafe fn alloc_slot_and_tail<T>(pool: *mut apr_pool_t, tail_len: usize) -> (NonNull<MaybeUninit<T>>, NonNull<u8>) {
    const { assert!(std::mem::align_of::<T>() <= 8, "apr_palloc aligns to 8 bytes") };
    let slot_size = std::mem::size_of::<T>().next_multiple_of(8);
    let raw: *mut u8 = unsafe { apr_palloc(pool, slot_size + tail_len) }.cast();
    let raw = NonNull::new(raw).expect("apr_palloc never returns NULL");
    (raw.cast(), unsafe { raw.add(slot_size) })
}

/// A slot for a `T`, then a NUL-terminated copy of `bytes`, in one pool block.
///
/// # Safety
/// `pool` is a live APR pool that outlives `'a`.
pub unsafe fn alloc_slot_with_copy<'a, T>(pool: *mut apr_pool_t, bytes: &[u8]) -> (&'a mut MaybeUninit<T>, PoolStr) {
    let (mut slot, copy) = unsafe { alloc_slot_and_tail::<T>(pool, bytes.len() + 1) };
    // SAFETY: the tail holds `bytes.len() + 1` bytes.
    unsafe {
        copy.copy_from_nonoverlapping(NonNull::from(bytes).cast(), bytes.len());
        copy.add(bytes.len()).write(0);
        (slot.as_mut(), PoolStr { ptr: copy.cast(), len: bytes.len() })
    }
}

/// `len` uninitialised bytes of pool memory.
///
/// # Safety
/// `pool` is a live APR pool that outlives `'a`.
pub unsafe fn alloc_uninit<'a>(pool: *mut apr_pool_t, len: usize) -> &'a mut [MaybeUninit<u8>] {
    let raw: *mut MaybeUninit<u8> = unsafe { apr_palloc(pool, len) }.cast();
    let raw = NonNull::new(raw).expect("apr_palloc never returns NULL");
    // SAFETY: the block holds `len` bytes, which `MaybeUninit` allows to be uninitialised.
    unsafe { NonNull::slice_from_raw_parts(raw, len).as_mut() }
}

/// `len` zeroed bytes of pool memory.
///
/// # Safety
/// `pool` is a live APR pool that outlives `'a`.
pub unsafe fn alloc_zeroed<'a>(pool: *mut apr_pool_t, len: usize) -> &'a mut [u8] {
    let raw: *mut u8 = unsafe { apr_palloc(pool, len) }.cast();
    let raw = NonNull::new(raw).expect("apr_palloc never returns NULL");
    // SAFETY: the block holds `len` bytes; zeroing makes them initialised.
    unsafe {
        raw.write_bytes(0, len);
        NonNull::slice_from_raw_parts(raw, len).as_mut()
    }
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
