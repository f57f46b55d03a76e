//! The per-server config record: the salt cache's lifecycle and ClickPath's record. The main
//! server's record holds the cache; a virtual host's can only say that its config wants one
//! (`CookielessTracking on` in it), which `check_config` looks at when the default must be made.
//! ClickPath's record does not merge: a vhost with ClickPath directives has its own, one without
//! uses the main server's.

use std::ffi::c_void;

use super::bindings::{apr_pool_t, server_rec};
use super::guard::catching;
use super::log;
use super::module::module_index;
use super::pool::{alloc_value, config_slot};
use super::clickpath::server_config::new_record;
use super::salt_cache::{CreatedCache, SaltRuntime};
use crate::core::clickpath::settings::ServerClickPath;
use crate::core::cookieless::salt_cache::SaltCacheLifecycle;

pub type SaltCache = SaltCacheLifecycle<CreatedCache, *mut SaltRuntime>;

/// Lives in the config pool: owns no heap memory.
pub struct ServerConfig {
    pub salt_cache: SaltCache,
    /// ClickPath's record in force for this server (in the config pool, dropped by its cleanup):
    /// the server's own, or after merging, for a vhost without ClickPath directives, the main
    /// server's.
    pub clickpath: *mut ServerClickPath,
}

/// This module's record of `server`.
///
/// # Safety
/// `server` is a live server whose configs were made while this module was loaded.
pub unsafe fn server_config<'a>(server: *const server_rec) -> Option<&'a mut ServerConfig> {
    unsafe { (*config_slot((*server).module_config.cast(), module_index())).cast::<ServerConfig>().as_mut() }
}

pub unsafe extern "C" fn create_server_config(pool: *mut apr_pool_t, _server: *mut server_rec) -> *mut c_void {
    let create =
        || unsafe { alloc_value(pool, ServerConfig { salt_cache: SaltCacheLifecycle::Unset, clickpath: new_record(pool) }).cast() };
    catching(
        create,
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("create_server_config: {panic}")) },
        create,
    )
}

/// A vhost keeps its own salt-cache state and takes ClickPath's record in force for it.
pub unsafe extern "C" fn merge_server_config(_pool: *mut apr_pool_t, main: *mut c_void, vhost: *mut c_void) -> *mut c_void {
    catching(
        || unsafe {
            let (main, vhost_config) = (&*main.cast::<ServerConfig>(), &mut *vhost.cast::<ServerConfig>());
            let effective = ServerClickPath::effective(&*main.clickpath, &*vhost_config.clickpath);
            vhost_config.clickpath = std::ptr::from_ref(effective).cast_mut();
            vhost
        },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("merge_server_config: {panic}")) },
        || vhost,
    )
}
