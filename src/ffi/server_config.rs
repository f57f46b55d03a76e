//! The per-server config record: only the salt cache's lifecycle. The main server's record
//! holds the cache; a virtual host's can only say that its config wants one (`CookielessTracking
//! on` in it), which `check_config` looks at when the default must be made.

use std::ffi::c_void;

use super::bindings::{apr_pool_t, server_rec};
use super::guard::catching;
use super::log;
use super::module::module_index;
use super::pool::{alloc_value, config_slot};
use super::salt_cache::{CreatedCache, SaltRuntime};
use crate::core::cookieless::salt_cache::SaltCacheLifecycle;

pub type SaltCache = SaltCacheLifecycle<CreatedCache, *mut SaltRuntime>;

/// Lives in the config pool: owns no heap memory.
pub struct ServerConfig {
    pub salt_cache: SaltCache,
}

/// This module's record of `server`.
///
/// # Safety
/// `server` is a live server whose configs were made while this module was loaded.
pub unsafe fn server_config<'a>(server: *const server_rec) -> Option<&'a mut ServerConfig> {
    unsafe { (*config_slot((*server).module_config.cast(), module_index())).cast::<ServerConfig>().as_mut() }
}

pub unsafe extern "C" fn create_server_config(pool: *mut apr_pool_t, _server: *mut server_rec) -> *mut c_void {
    let create = || unsafe { alloc_value(pool, ServerConfig { salt_cache: SaltCacheLifecycle::Unset }).cast() };
    catching(
        create,
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("create_server_config: {panic}")) },
        create,
    )
}
