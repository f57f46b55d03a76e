//! The microsecond counter every child and thread of the server shares, so that `legacy` IDs
//! (client address and time) never repeat: an atomic in memory mapped shared before the fork.
//!
//! The mapping is made once per server process and kept in the process pool's user data, which
//! lives across restarts (unlike this DSO's statics, which are reloaded): children of every
//! generation count on one clock.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::AtomicU64;

use super::bindings::{apr_pool_t, apr_pool_userdata_get, apr_pool_userdata_set, server_rec};

const USERDATA_KEY: &std::ffi::CStr = c"mod_usertrack_rs shared clock";

/// The server's shared clock, mapped on first use. `None` if the OS refused the mapping.
///
/// # Safety
/// `server` is a live server; called while the configuration is loaded, before children are
/// forked.
pub unsafe fn ensure_shared_clock(server: *const server_rec) -> Option<&'static AtomicU64> {
    if let Some(clock) = unsafe { shared_clock(server) } {
        return Some(clock);
    }
    let page = map_shared_page()?;
    // The key is copied; the page stays mapped for the life of the process.
    unsafe { apr_pool_userdata_set(page, USERDATA_KEY.as_ptr(), None, process_pool(server)) };
    unsafe { shared_clock(server) }
}

/// The clock `ensure_shared_clock` mapped, if it did.
///
/// # Safety
/// `server` is a live server.
pub unsafe fn shared_clock(server: *const server_rec) -> Option<&'static AtomicU64> {
    let mut data: *mut c_void = null_mut();
    unsafe { apr_pool_userdata_get(&mut data, USERDATA_KEY.as_ptr(), process_pool(server)) };
    // SAFETY: a zero-initialised, page-aligned mapping that is never unmapped.
    (!data.is_null()).then(|| unsafe { &*data.cast::<AtomicU64>() })
}

unsafe fn process_pool(server: *const server_rec) -> *mut apr_pool_t {
    unsafe { (*(*server).process).pool }
}

fn map_shared_page() -> Option<*mut c_void> {
    // SAFETY: an anonymous mapping touches no existing memory.
    let page = unsafe {
        libc::mmap(
            null_mut(),
            std::mem::size_of::<AtomicU64>(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    (page != libc::MAP_FAILED).then_some(page)
}
