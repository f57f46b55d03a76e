//! The per-directory config record httpd keeps for us, and its create/merge callbacks.

use std::ffi::{c_char, c_void};

use super::bindings::apr_pool_t;
use super::guard::{catching, fault_point};
use super::log;
use super::module::module_index;
use super::pool::{PoolStr, alloc_value, alloc_zeroed, config_slot};
use crate::core::cookie_scan::CookieFinder;
use crate::core::set_cookie::{CookieAttributes, SetCookieTemplate};
use crate::core::id_format::IdFormat;
use crate::core::settings::{DEFAULT_COOKIE_NAME, DirSettings};
use crate::core::visit::{Policy, Signing};

/// Lives in a config pool, freed without running destructors: every field owns no heap memory
/// (the derived fields borrow from the same pool).
#[derive(Clone, Debug)]
pub struct DirConfig {
    settings: DirSettings<PoolStr>,
    /// Derived from `settings` whenever they change, not per request: the cookie name in effect
    /// (in pool memory, so the note named after it has a pool-owned key), its scanner, the
    /// Set-Cookie attributes with defaults applied and the header template made from them.
    name: PoolStr,
    /// Whether `name` is `cookie` (in any case): the two notes are then one.
    name_is_cookie_note: bool,
    finder: CookieFinder<'static>,
    attributes: CookieAttributes<'static>,
    template: SetCookieTemplate<'static>,
    policy: Policy<'static>,
}

impl DirConfig {
    /// # Safety
    /// `pool` is a live APR pool that outlives the record.
    unsafe fn new(pool: *mut apr_pool_t) -> Self {
        let name = unsafe { PoolStr::copy(pool, DEFAULT_COOKIE_NAME) };
        let settings = DirSettings::UNSET;
        let attributes = Self::attributes_of(&settings);
        let template = unsafe { template_in(pool, &attributes) };
        Self {
            policy: policy_of(&settings, name),
            settings,
            name,
            name_is_cookie_note: is_cookie_note(name),
            finder: CookieFinder::new(name.bytes()),
            attributes,
            template,
        }
    }

    fn attributes_of(settings: &DirSettings<PoolStr>) -> CookieAttributes<'static> {
        CookieAttributes::from_settings(settings, PoolStr::bytes)
    }

    pub fn settings(&self) -> &DirSettings<PoolStr> {
        &self.settings
    }

    /// Applies `change` to the settings and derives the rest again, in `pool` (the record's).
    ///
    /// # Safety
    /// `pool` is a live APR pool that outlives the record.
    pub unsafe fn change_settings<T>(
        &mut self,
        pool: *mut apr_pool_t,
        change: impl FnOnce(&mut DirSettings<PoolStr>) -> T,
    ) -> T {
        let result = change(&mut self.settings);
        if let Some(name) = self.settings.name.filter(|name| name.as_ptr() != self.name.as_ptr()) {
            self.name = name;
            self.name_is_cookie_note = is_cookie_note(name);
            self.finder = CookieFinder::new(name.bytes());
        }
        let attributes = Self::attributes_of(&self.settings);
        if attributes != self.attributes {
            self.attributes = attributes;
            self.template = unsafe { template_in(pool, &attributes) };
        }
        self.policy = policy_of(&self.settings, self.name);
        result
    }

    pub fn cookie_name(&self) -> PoolStr {
        self.name
    }

    /// Whether the note named after the cookie is the `cookie` note itself.
    pub fn name_is_cookie_note(&self) -> bool {
        self.name_is_cookie_note
    }

    pub fn finder(&self) -> &CookieFinder<'static> {
        &self.finder
    }

    pub fn set_cookie_template(&self) -> &SetCookieTemplate<'static> {
        &self.template
    }

    pub fn policy(&self) -> &Policy<'static> {
        &self.policy
    }

    /// httpd merges per request; the template is built again only if neither record's fits
    /// (the common inner section only switches CookieTracking).
    ///
    /// # Safety
    /// `pool` is a live APR pool that outlives the record.
    unsafe fn merged(pool: *mut apr_pool_t, base: &Self, inner: &Self) -> Self {
        let named = if inner.settings.name.is_some() { inner } else { base };
        let settings = base.settings.merged_with(&inner.settings);
        let attributes = Self::attributes_of(&settings);
        let template = match [base, inner].into_iter().find(|record| record.attributes == attributes) {
            Some(record) => record.template,
            None => unsafe { template_in(pool, &attributes) },
        };
        Self {
            policy: policy_of(&settings, named.name),
            settings,
            name: named.name,
            name_is_cookie_note: named.name_is_cookie_note,
            finder: named.finder.clone(),
            attributes,
            template,
        }
    }
}

/// The per-request decision's settings, with defaults applied.
fn policy_of(settings: &DirSettings<PoolStr>, name: PoolStr) -> Policy<'static> {
    Policy {
        cookie_name: name.bytes(),
        format: settings.id_format.unwrap_or(IdFormat::Apache),
        inject: settings.inject.unwrap_or(false),
        renew: settings.renew.unwrap_or(false),
        validate: settings.validate.unwrap_or(false),
        signing: settings.sign_keys.map(|keys| Signing { keys: keys.0, accept_unsigned: settings.accept_unsigned.unwrap_or(false) }),
    }
}

/// Notes are named as APR compares keys: ASCII case folded.
fn is_cookie_note(name: PoolStr) -> bool {
    name.bytes().eq_ignore_ascii_case(b"cookie")
}

/// # Safety
/// `pool` is a live APR pool that outlives the template.
unsafe fn template_in(pool: *mut apr_pool_t, attributes: &CookieAttributes) -> SetCookieTemplate<'static> {
    let text = unsafe { alloc_zeroed(pool, SetCookieTemplate::text_buffer_len(attributes)) };
    SetCookieTemplate::build(attributes, text)
}

/// This module's record in a per-directory config vector (`r->per_dir_config`).
///
/// # Safety
/// `vector` is a live per-dir config vector built while this module was loaded.
pub unsafe fn dir_config<'a>(vector: *mut c_void) -> Option<&'a DirConfig> {
    unsafe { (*config_slot(vector, module_index())).cast::<DirConfig>().as_ref() }
}

pub unsafe extern "C" fn create_dir_config(pool: *mut apr_pool_t, _dir: *mut c_char) -> *mut c_void {
    catching(
        || unsafe {
            fault_point("create_dir_config", std::ptr::null_mut());
            alloc_value(pool, DirConfig::new(pool)).cast()
        },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("internal error in create_dir_config: {panic}")) },
        // No record: httpd merges around it, requests in its scope are not tracked, and a
        // Cookie* directive for it is refused (a clean startup error, not a second panic).
        std::ptr::null_mut,
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
            fault_point("merge_dir_config", std::ptr::null_mut());
            let (Some(base_config), Some(inner_config)) = (base.cast::<DirConfig>().as_ref(), inner.cast::<DirConfig>().as_ref())
            else {
                return if inner.is_null() { base } else { inner };
            };
            if inner_config.settings.is_unset() {
                base
            } else if base_config.settings.is_unset() {
                inner
            } else {
                alloc_value(pool, DirConfig::merged(pool, base_config, inner_config)).cast()
            }
        },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("internal error in merge_dir_config: {panic}")) },
        || inner,
    )
}
