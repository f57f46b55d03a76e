//! The salt cache through httpd's mod_socache providers: looked up and created when the config
//! is read (so `apache2 -t` reports a missing provider or bad arguments), initialised with a
//! global mutex in post_config, the mutex re-attached in each child. `SaltRuntime` is what
//! requests use: the provider, its instance, the mutex and this process's `SaltKeeper`, in
//! config pool memory owned by the main server's config (made anew for each generation).

use std::ffi::{CStr, c_char, c_uint};
use std::ptr::{null, null_mut};
use std::sync::Mutex;

use super::bindings::{
    AP_SOCACHE_PROVIDER_GROUP, AP_SOCACHE_PROVIDER_VERSION, APR_NOTFOUND, APR_SUCCESS,
    ap_global_mutex_create, ap_lookup_provider, ap_mutex_register, ap_socache_hints, ap_socache_instance_t,
    ap_socache_provider_t, apr_global_mutex_child_init, apr_global_mutex_lock, apr_global_mutex_lockfile,
    apr_global_mutex_t, apr_global_mutex_unlock, apr_lockmech_e, apr_pool_t, apr_strerror, request_rec, server_rec,
};
use super::guard::fault_point;
use super::log;
use super::restart_carry;
use super::pool::{PoolStr, alloc_value, c_bytes};
use crate::core::cookieless::fetch_or_make::{SaltStore, fetch_or_make};
use crate::core::cookieless::salt::{SALT_LEN, Salt};
use crate::core::cookieless::salt_cache::{SaltCacheError, SaltCacheSpec};
use crate::core::cookieless::salt_keeper::{BACK_OFF_AFTER_FAILURE, CacheAnswer, Plan, SaltKeeper};
use crate::core::cookieless::utc_day::UtcDay;

/// The mutex type (`Mutex usertrack-salt:…` configures it) and the socache consumer name.
const MUTEX_TYPE: &CStr = c"usertrack-salt";

/// A provider's cache made from `CookielessSaltCache` (or the default), not yet initialised.
#[derive(Clone, Copy)]
pub struct CreatedCache {
    provider: *const ap_socache_provider_t,
    instance: *mut ap_socache_instance_t,
    /// The provider's name, for messages.
    name: PoolStr,
}

/// Looks the provider up and creates its cache in `pool` (the config pool).
///
/// # Safety
/// The pools are live; called while the configuration is read.
pub unsafe fn create_cache(
    spec: SaltCacheSpec,
    explicit: bool,
    pool: *mut apr_pool_t,
    temp_pool: *mut apr_pool_t,
) -> Result<CreatedCache, SaltCacheError> {
    let name = unsafe { PoolStr::copy(pool, spec.provider) };
    let provider: *const ap_socache_provider_t = unsafe {
        ap_lookup_provider(
            AP_SOCACHE_PROVIDER_GROUP.as_ptr().cast(),
            name.as_ptr(),
            AP_SOCACHE_PROVIDER_VERSION.as_ptr().cast(),
        )
    }
    .cast();
    let Some(create) = (unsafe { provider.as_ref() }).and_then(|provider| provider.create) else {
        return Err(SaltCacheError::ProviderNotLoaded { provider: spec.provider_name(), explicit });
    };
    let arguments = spec.arguments.map(|arguments| unsafe { PoolStr::copy(pool, arguments) });
    let mut instance: *mut ap_socache_instance_t = null_mut();
    let refusal = unsafe { create(&mut instance, arguments.map_or(null(), PoolStr::as_ptr), temp_pool, pool) };
    if let Some(message) = unsafe { c_bytes(refusal) } {
        return Err(SaltCacheError::ProviderRefused {
            provider: spec.provider_name(),
            message: String::from_utf8_lossy(message).into_owned(),
        });
    }
    Ok(CreatedCache { provider, instance, name })
}

/// pre_config: the mutex type must be known before `Mutex` directives are read.
///
/// # Safety
/// `pconf` is the config pool.
pub unsafe fn register_mutex_type(pconf: *mut apr_pool_t) {
    unsafe { ap_mutex_register(pconf, MUTEX_TYPE.as_ptr(), null(), apr_lockmech_e::APR_LOCK_DEFAULT, 0) };
}

fn apr_error(status: i32) -> String {
    let mut buffer = [0 as c_char; 256];
    // SAFETY: apr_strerror writes a NUL-terminated message of at most the buffer's size.
    let message = unsafe { apr_strerror(status, buffer.as_mut_ptr(), buffer.len()) };
    let text = unsafe { c_bytes(message) }.map(String::from_utf8_lossy).unwrap_or_default();
    format!("{text} (APR status {status})")
}

/// What requests use; in the config pool, one per generation of the configuration. Each child
/// process has its own copy after the fork, and so its own keeper.
pub struct SaltRuntime {
    pub(super) cache: CreatedCache,
    pub(super) server: *mut server_rec,
    /// Held over each fetch-or-make, across processes, whatever the provider: concurrent makers
    /// agree at once, and providers that need it for every call (`AP_SOCACHE_FLAG_NOTMPSAFE`,
    /// shmcb) have it.
    pub(super) mutex: *mut apr_global_mutex_t,
    keeper: Mutex<SaltKeeper>,
    /// One cache visit at a time in this process.
    visiting: Mutex<()>,
}

/// post_config: initialises the cache and makes the mutex.
///
/// # Safety
/// Called in post_config with the main server and the config pool.
pub unsafe fn start(cache: CreatedCache, server: *mut server_rec, pconf: *mut apr_pool_t) -> Result<*mut SaltRuntime, String> {
    let provider = unsafe { &*cache.provider };
    let name = String::from_utf8_lossy(cache.name.bytes()).into_owned();
    let hints = ap_socache_hints { avg_id_len: 40, avg_obj_size: SALT_LEN, expiry_interval: 60 * 1_000_000 };
    if let Some(init) = provider.init {
        let status = unsafe { init(cache.instance, MUTEX_TYPE.as_ptr(), &hints, server, pconf) };
        if status != APR_SUCCESS {
            return Err(format!("the {name} salt cache could not be initialised: {}", apr_error(status)));
        }
    }
    let mut mutex: *mut apr_global_mutex_t = null_mut();
    let status = unsafe { ap_global_mutex_create(&mut mutex, null_mut(), MUTEX_TYPE.as_ptr(), null(), server, pconf, 0) };
    if status != APR_SUCCESS {
        return Err(format!("the salt cache's mutex could not be made: {}", apr_error(status)));
    }
    let runtime = SaltRuntime { cache, server, mutex, keeper: Mutex::new(SaltKeeper::new()), visiting: Mutex::new(()) };
    let runtime = unsafe { alloc_value(pconf, runtime) };
    if cache.name.bytes() == b"shmcb" {
        unsafe { restart_carry::carry_in(&*runtime, pconf) };
        unsafe { restart_carry::carry_out_at_restart(runtime, pconf) };
    }
    Ok(runtime)
}

impl SaltRuntime {
    /// child_init: re-attaches the mutex in the new child.
    ///
    /// # Safety
    /// `pool` is the child's pool.
    pub unsafe fn attach_child(&mut self, pool: *mut apr_pool_t) -> Result<(), String> {
        if self.mutex.is_null() {
            return Ok(());
        }
        let status = unsafe { apr_global_mutex_child_init(&mut self.mutex, apr_global_mutex_lockfile(self.mutex), pool) };
        if status != APR_SUCCESS {
            return Err(format!("the salt cache's mutex could not be re-opened in a child: {}", apr_error(status)));
        }
        Ok(())
    }

    /// The salt for a request of `day` at `now` (unix seconds), going to the cache only when
    /// the keeper says so.
    ///
    /// # Safety
    /// `r` is a live request.
    pub unsafe fn salt_for(&self, r: *mut request_rec, day: UtcDay, now: i64) -> Option<Salt> {
        let keeper = || self.keeper.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let plan = keeper().plan(day, now);
        let offer = match plan {
            Plan::Use(salt) => return Some(salt),
            Plan::Untracked => return None,
            // A look this request claimed: it goes, the others use the held salt meanwhile.
            Plan::Consult { offer: Some(held), .. } => {
                let _visiting = self.visiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                return unsafe { self.consult(r, day, now, Some(held)) };
            }
            Plan::Consult { offer: None, .. } => None,
        };
        // No salt yet: wait for a visit in flight in this process, then see again.
        let _visiting = self.visiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bound first: the keeper's guard must be gone before `consult` takes it again.
        let plan = keeper().plan(day, now);
        match plan {
            Plan::Use(salt) => Some(salt),
            Plan::Untracked => None,
            Plan::Consult { offer: again, .. } => unsafe { self.consult(r, day, now, again.or(offer)) },
        }
    }

    /// One fetch-or-make under the global mutex; reports to the keeper, warns if it says so.
    unsafe fn consult(&self, r: *mut request_rec, day: UtcDay, now: i64, offer: Option<Salt>) -> Option<Salt> {
        let result = unsafe { self.fetch_or_make_locked(r, day, offer.as_ref()) };
        let answer = match &result {
            Ok(salt) => CacheAnswer::Salt(salt.clone()),
            Err(_) => CacheAnswer::Failed,
        };
        let consulted = self.keeper.lock().unwrap_or_else(std::sync::PoisonError::into_inner).consulted(day, now, answer);
        if let (Err(error), true) = (&result, consulted.warn) {
            let name = String::from_utf8_lossy(self.cache.name.bytes());
            let consequence = if consulted.salt.is_some() {
                "this process goes on with the salt it holds"
            } else {
                "requests are served without a cookieless ID until it answers"
            };
            let message = format!(
                "cookieless IDs: the {name} salt cache: {error}; {consequence}; it is tried again in \
                 {BACK_OFF_AFTER_FAILURE} s (this warning: at most once a minute per process)"
            );
            unsafe { log::request(r, log::WARNING, &message) };
        }
        consulted.salt
    }

    unsafe fn fetch_or_make_locked(&self, r: *mut request_rec, day: UtcDay, offer: Option<&Salt>) -> Result<Salt, String> {
        let status = unsafe { apr_global_mutex_lock(self.mutex) };
        if status != APR_SUCCESS {
            return Err(format!("its mutex could not be taken: {}", apr_error(status)));
        }
        // Released however this ends, a panic included: a mutex left held would stop every
        // process's next visit to the cache.
        let _locked = GlobalMutexHeld(self.mutex);
        fault_point("salt_cache", unsafe { (*r).headers_in });
        let mut store = SocacheStore { cache: &self.cache, server: self.server, pool: unsafe { (*r).pool } };
        fetch_or_make(&mut store, day, offer, crate::random::os_random_bytes).map_err(|error| error.to_string())
    }
}

/// Unlocks the global mutex it holds when dropped.
struct GlobalMutexHeld(*mut apr_global_mutex_t);

impl Drop for GlobalMutexHeld {
    fn drop(&mut self) {
        // SAFETY: locked by this process's thread, which drops this guard.
        unsafe { apr_global_mutex_unlock(self.0) };
    }
}

/// The provider's store and retrieve, for `fetch_or_make`.
pub(super) struct SocacheStore<'a> {
    cache: &'a CreatedCache,
    server: *mut server_rec,
    /// For the provider's temporary allocations: the request's.
    pool: *mut apr_pool_t,
}

impl<'a> SocacheStore<'a> {
    pub(super) fn new(cache: &'a CreatedCache, server: *mut server_rec, pool: *mut apr_pool_t) -> Self {
        Self { cache, server, pool }
    }
}

impl SaltStore for SocacheStore<'_> {
    type Error = String;

    fn retrieve(&mut self, key: &[u8]) -> Result<Option<[u8; SALT_LEN]>, String> {
        let provider = unsafe { &*self.cache.provider };
        let Some(retrieve) = provider.retrieve else { return Err("the provider cannot retrieve".into()) };
        // Room for more than a salt: a longer value under our key is not one, and is replaced.
        let mut data = [0u8; 2 * SALT_LEN];
        let mut len = data.len() as c_uint;
        let status = unsafe {
            retrieve(self.cache.instance, self.server, key.as_ptr(), key.len() as c_uint, data.as_mut_ptr(), &mut len, self.pool)
        };
        match status {
            APR_SUCCESS if len as usize == SALT_LEN => Ok(Some(data[..SALT_LEN].try_into().expect("SALT_LEN bytes"))),
            APR_SUCCESS | APR_NOTFOUND => Ok(None),
            _ => Err(apr_error(status)),
        }
    }

    fn store(&mut self, key: &[u8], salt: &[u8; SALT_LEN], expiry_unix_seconds: i64) -> Result<(), String> {
        let provider = unsafe { &*self.cache.provider };
        let Some(store) = provider.store else { return Err("the provider cannot store".into()) };
        let mut data = *salt;
        let status = unsafe {
            store(
                self.cache.instance,
                self.server,
                key.as_ptr(),
                key.len() as c_uint,
                expiry_unix_seconds.saturating_mul(1_000_000),
                data.as_mut_ptr(),
                SALT_LEN as c_uint,
                self.pool,
            )
        };
        if status == APR_SUCCESS { Ok(()) } else { Err(apr_error(status)) }
    }
}
