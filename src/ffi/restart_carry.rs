//! shmcb's shared memory is made anew at every restart (graceful ones included, as after
//! logrotate), and the day's salt would go with it, splitting that day's visitors at the
//! restart. So, for shmcb only, the parent reads today's salt from the old cache as the old
//! configuration is torn down and writes it into the new cache once that is initialised. In
//! between it sits in the process pool's user data (which lives across restarts, unlike this
//! DSO's statics), in memory only. Caches on other machines (memcache, redis) keep it
//! themselves, and a parent blocked on an unreachable one would delay the restart.

use std::ffi::{CStr, c_void};
use std::ptr::null_mut;

use super::bindings::{
    APR_SUCCESS, apr_global_mutex_lock, apr_global_mutex_unlock, apr_pool_cleanup_register, apr_pool_t,
    apr_pool_userdata_get, apr_pool_userdata_set,
};
use super::guard::catching;
use super::pool::alloc_value;
use super::salt_cache::{SaltRuntime, SocacheStore};
use crate::core::cookieless::fetch_or_make::SaltStore;
use crate::core::cookieless::salt::SALT_LEN;
use crate::core::cookieless::utc_day::UtcDay;

const USERDATA_KEY: &CStr = c"mod_usertrack_rs cookieless salt across restarts";

/// The day's salt between the old configuration and the new one.
enum Carried {
    Nothing,
    Salt { day: UtcDay, bytes: [u8; SALT_LEN] },
}

fn today() -> UtcDay {
    let now = std::time::UNIX_EPOCH.elapsed().map_or(0, |elapsed| elapsed.as_secs() as i64);
    UtcDay::of_unix_seconds(now)
}

unsafe fn process_pool(runtime: &SaltRuntime) -> *mut apr_pool_t {
    unsafe { (*(*runtime.server).process).pool }
}

/// The slot in the process pool, made on first use (one per process, reused at every restart).
unsafe fn slot(runtime: &SaltRuntime) -> &'static mut Carried {
    let pool = unsafe { process_pool(runtime) };
    let mut data: *mut c_void = null_mut();
    unsafe { apr_pool_userdata_get(&mut data, USERDATA_KEY.as_ptr(), pool) };
    if data.is_null() {
        data = unsafe { alloc_value(pool, Carried::Nothing) }.cast();
        unsafe { apr_pool_userdata_set(data, USERDATA_KEY.as_ptr(), None, pool) };
    }
    unsafe { &mut *data.cast::<Carried>() }
}

/// post_config, with the new cache initialised: today's carried salt goes into it, and the slot
/// is emptied (the salt lives in the cache again, not here).
///
/// # Safety
/// `runtime` is the new generation's; `pool` a pool for the provider's temporary allocations.
pub unsafe fn carry_in(runtime: &SaltRuntime, pool: *mut apr_pool_t) {
    let slot = unsafe { slot(runtime) };
    if let Carried::Salt { day, bytes } = std::mem::replace(slot, Carried::Nothing)
        && day == today()
    {
        let mut store = SocacheStore::new(&runtime.cache, runtime.server, pool);
        // Nothing to do about a failure here: children will make a new salt, as at a first start.
        let _ = store.store(&day.cache_key(), &bytes, day.salt_expiry_unix_seconds());
    }
}

/// Registers, on the config pool, the read of today's salt before the old cache is destroyed:
/// registered after the cache and its mutex, so it runs before their own cleanups.
///
/// # Safety
/// `runtime` lives in `pconf`.
pub unsafe fn carry_out_at_restart(runtime: *mut SaltRuntime, pconf: *mut apr_pool_t) {
    unsafe { apr_pool_cleanup_register(pconf, runtime.cast(), Some(carry_out), Some(nothing_in_a_child)) };
}

unsafe extern "C" fn carry_out(data: *mut c_void) -> i32 {
    catching(
        || unsafe {
            let runtime = &*data.cast::<SaltRuntime>();
            let day = today();
            if apr_global_mutex_lock(runtime.mutex) != APR_SUCCESS {
                return;
            }
            let mut store = SocacheStore::new(&runtime.cache, runtime.server, process_pool(runtime));
            let retrieved = store.retrieve(&day.cache_key());
            apr_global_mutex_unlock(runtime.mutex);
            if let Ok(Some(bytes)) = retrieved {
                *slot(runtime) = Carried::Salt { day, bytes };
            }
        },
        |_| (),
        || (),
    );
    APR_SUCCESS
}

unsafe extern "C" fn nothing_in_a_child(_data: *mut c_void) -> i32 {
    APR_SUCCESS
}
