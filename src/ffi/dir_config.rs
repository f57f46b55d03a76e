//! The per-directory config record httpd keeps for us, and its create/merge callbacks.

use std::ffi::{c_char, c_void};

use super::bindings::apr_pool_t;
use super::guard::catching;
use super::log;
use super::module::module_index;
use super::pool::{PoolStr, alloc_value, config_slot};
use crate::core::set_cookie::CookieAttributes;
use crate::core::settings::{DEFAULT_COOKIE_NAME, DirSettings};

#[derive(Clone, Copy, Debug)]
pub struct DirConfig {
    pub settings: DirSettings<PoolStr>,
    /// "Apache" in pool memory, so that the note named after the cookie has a pool-owned key.
    default_name: PoolStr,
}

impl DirConfig {
    pub fn cookie_name(&self) -> PoolStr {
        self.settings.name.unwrap_or(self.default_name)
    }

    pub fn cookie_attributes(&self) -> CookieAttributes<'_> {
        CookieAttributes::from_settings(&self.settings, PoolStr::bytes)
    }
}

/// This module's record in a per-directory config vector (`r->per_dir_config`).
///
/// # Safety
/// `vector` is a live per-dir config vector built while this module was loaded.
pub unsafe fn dir_config<'a>(vector: *mut c_void) -> Option<&'a DirConfig> {
    unsafe { (*config_slot(vector, module_index())).cast::<DirConfig>().as_ref() }
}

unsafe fn new_dir_config(pool: *mut apr_pool_t) -> *mut c_void {
    let default_name = unsafe { PoolStr::copy(pool, DEFAULT_COOKIE_NAME) };
    unsafe { alloc_value(pool, DirConfig { settings: DirSettings::UNSET, default_name }) }.cast()
}

pub unsafe extern "C" fn create_dir_config(pool: *mut apr_pool_t, _dir: *mut c_char) -> *mut c_void {
    catching(
        || unsafe { new_dir_config(pool) },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("create_dir_config: {panic}")) },
        || unsafe { new_dir_config(pool) },
    )
}

/// Whatever the inner section sets wins; the rest comes from the enclosing one.
pub unsafe extern "C" fn merge_dir_config(
    pool: *mut apr_pool_t,
    base: *mut c_void,
    inner: *mut c_void,
) -> *mut c_void {
    catching(
        || unsafe {
            let (base, inner) = (&*base.cast::<DirConfig>(), &*inner.cast::<DirConfig>());
            let merged = DirConfig { settings: base.settings.merged_with(&inner.settings), ..*inner };
            alloc_value(pool, merged).cast()
        },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("merge_dir_config: {panic}")) },
        || inner,
    )
}
