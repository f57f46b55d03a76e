//! The per-directory config record httpd keeps for us, and its create/merge callbacks.

use std::ffi::{c_char, c_void};

use super::bindings::apr_pool_t;
use super::guard::catching;
use super::log;
use super::module::module_index;
use super::pool::{PoolStr, alloc_value, config_slot};
use crate::core::cookie_scan::CookieFinder;
use crate::core::set_cookie::CookieAttributes;
use crate::core::settings::{DEFAULT_COOKIE_NAME, DirSettings};

/// Lives in a config pool, freed without running destructors: every field owns no heap memory
/// (`CookieFinder` borrows its name from the same pool).
#[derive(Clone, Debug)]
pub struct DirConfig {
    pub settings: DirSettings<PoolStr>,
    /// The cookie name in effect (`settings.name` or the default, in pool memory so the note
    /// named after it has a pool-owned key) and its scanner, built once here, not per request.
    name: PoolStr,
    finder: CookieFinder<'static>,
}

impl DirConfig {
    /// # Safety
    /// `pool` is a live APR pool that outlives the record.
    unsafe fn new(pool: *mut apr_pool_t) -> Self {
        let name = unsafe { PoolStr::copy(pool, DEFAULT_COOKIE_NAME) };
        Self { settings: DirSettings::UNSET, name, finder: CookieFinder::new(name.bytes()) }
    }

    /// Call after `settings.name` was set.
    pub fn name_changed(&mut self) {
        if let Some(name) = self.settings.name {
            self.name = name;
            self.finder = CookieFinder::new(name.bytes());
        }
    }

    pub fn cookie_name(&self) -> PoolStr {
        self.name
    }

    pub fn finder(&self) -> &CookieFinder<'static> {
        &self.finder
    }

    pub fn cookie_attributes(&self) -> CookieAttributes<'_> {
        CookieAttributes::from_settings(&self.settings, PoolStr::bytes)
    }

    fn merged(base: &Self, inner: &Self) -> Self {
        let named = if inner.settings.name.is_some() { inner } else { base };
        Self {
            settings: base.settings.merged_with(&inner.settings),
            name: named.name,
            finder: named.finder.clone(),
        }
    }
}

/// This module's record in a per-directory config vector (`r->per_dir_config`).
///
/// # Safety
/// `vector` is a live per-dir config vector built while this module was loaded.
pub unsafe fn dir_config<'a>(vector: *mut c_void) -> Option<&'a DirConfig> {
    unsafe { (*config_slot(vector, module_index())).cast::<DirConfig>().as_ref() }
}

pub unsafe extern "C" fn create_dir_config(pool: *mut apr_pool_t, _dir: *mut c_char) -> *mut c_void {
    let create = || unsafe { alloc_value(pool, DirConfig::new(pool)).cast() };
    catching(
        create,
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("create_dir_config: {panic}")) },
        create,
    )
}

/// Whatever the inner section sets wins; the rest comes from the enclosing one. httpd merges
/// once per matching section on every request, and most sections set no Cookie* directive: then
/// the enclosing record is the answer as it is, without copying it.
pub unsafe extern "C" fn merge_dir_config(
    pool: *mut apr_pool_t,
    base: *mut c_void,
    inner: *mut c_void,
) -> *mut c_void {
    catching(
        || unsafe {
            let (base_config, inner_config) = (&*base.cast::<DirConfig>(), &*inner.cast::<DirConfig>());
            if inner_config.settings.is_unset() {
                base
            } else if base_config.settings.is_unset() {
                inner
            } else {
                alloc_value(pool, DirConfig::merged(base_config, inner_config)).cast()
            }
        },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("merge_dir_config: {panic}")) },
        || inner,
    )
}
