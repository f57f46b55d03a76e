//! The salt cache's lifecycle through httpd's start-up: the mutex type in pre_config, the
//! default cache in check_config (which `apache2 -t` runs too), initialisation in post_config,
//! the mutex re-attached in child_init.

use std::ffi::c_int;

use super::bindings::{HTTP_INTERNAL_SERVER_ERROR, OK, apr_pool_t, server_rec};
use super::guard::{catching, fault_point};
use super::log;
use super::salt_cache::{create_cache, register_mutex_type, start};
use super::server_config::{SaltCache, server_config};
use crate::core::cookieless::salt_cache::SaltCacheSpec;

/// A panic here refuses to start ("Pre-configuration failed"): without the mutex type the salt
/// cache could not be made, and `apache2 -t` (which stops before post_config) would pass.
pub unsafe extern "C" fn pre_config(pconf: *mut apr_pool_t, _plog: *mut apr_pool_t, _ptemp: *mut apr_pool_t) -> c_int {
    catching(
        || unsafe {
            fault_point("pre_config", std::ptr::null_mut());
            register_mutex_type(pconf);
            OK
        },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("internal error in pre_config: {panic}")) },
        || HTTP_INTERNAL_SERVER_ERROR,
    )
}

/// Whether any server's config turned `CookielessTracking on` without a cache named.
unsafe fn default_cache_wanted(main: *mut server_rec) -> bool {
    let mut server = main;
    while !server.is_null() {
        if unsafe { server_config(server) }.is_some_and(|config| config.salt_cache.needs_default()) {
            return true;
        }
        server = unsafe { (*server).next };
    }
    false
}

/// `CookielessTracking on` without `CookielessSaltCache`: the default provider, or a startup
/// error that names the module to load.
pub unsafe extern "C" fn check_config(
    pconf: *mut apr_pool_t,
    _plog: *mut apr_pool_t,
    ptemp: *mut apr_pool_t,
    main: *mut server_rec,
) -> c_int {
    catching(
        || unsafe {
            fault_point("check_config", std::ptr::null_mut());
            let Some(config) = server_config(main) else { return OK };
            if matches!(config.salt_cache, SaltCache::Configured(_) | SaltCache::Ready(_)) || !default_cache_wanted(main) {
                return OK;
            }
            match create_cache(SaltCacheSpec::DEFAULT, false, pconf, ptemp) {
                Ok(cache) => {
                    config.salt_cache.configure(cache);
                    OK
                }
                Err(error) => {
                    log::server(main, log::ERR, &error.to_string());
                    HTTP_INTERNAL_SERVER_ERROR
                }
            }
        },
        |panic| unsafe { log::server(main, log::ERR, &format!("internal error in check_config: {panic}")) },
        || HTTP_INTERNAL_SERVER_ERROR,
    )
}

/// Configured → Ready. Called from post_config.
///
/// # Safety
/// `main` is the main server, `pconf` the config pool.
pub unsafe fn start_salt_cache(main: *mut server_rec, pconf: *mut apr_pool_t) -> Result<(), String> {
    let Some(config) = (unsafe { server_config(main) }) else { return Ok(()) };
    if let SaltCache::Configured(cache) = config.salt_cache {
        config.salt_cache = SaltCache::Ready(unsafe { start(cache, main, pconf) }?);
    }
    Ok(())
}

/// Called from child_init.
///
/// # Safety
/// `main` is the main server, `pool` the child's pool.
pub unsafe fn attach_salt_cache(main: *mut server_rec, pool: *mut apr_pool_t) -> Result<(), String> {
    match unsafe { server_config(main) }.map(|config| config.salt_cache) {
        Some(SaltCache::Ready(runtime)) => unsafe { (*runtime).attach_child(pool) },
        _ => Ok(()),
    }
}
