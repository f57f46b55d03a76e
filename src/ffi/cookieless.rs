//! The request path of `CookielessTracking`: where it is on and `CookieTracking` is off, the
//! day's cookieless ID goes into the notes and `USERTRACK_ID`, `USERTRACK_COOKIELESS=1` marks
//! it and `USERTRACK_NEW` is unset. Never a Set-Cookie, never a Cookie header change.

use std::sync::atomic::{AtomicBool, Ordering};

use super::bindings::{ap_server_conf, apr_table_get, request_rec};
use super::dir_config::DirConfig;
use super::guard::fault_point;
use super::hooks::set_entries;
use super::log;
use super::pool::{alloc_value, c_bytes};
use super::server_config::{SaltCache, server_config};
use crate::core::cookieless::utc_day::UtcDay;
use crate::core::cookieless::visitor_id::{VisitorFields, cookieless_id};

/// The request's clock in unix seconds: httpd's request time (no system call).
unsafe fn request_seconds(r: *mut request_rec) -> i64 {
    let seconds = unsafe { (*r).request_time } / 1_000_000;
    seconds + unsafe { test_clock_offset(r) }
}

/// Test builds only (`--features test-clock`): `USERTRACK_TEST_CLOCK_OFFSET` in the request's
/// environment (SetEnvIf) moves its clock by that many seconds, so a test can ask for tomorrow.
#[cfg(feature = "test-clock")]
unsafe fn test_clock_offset(r: *mut request_rec) -> i64 {
    let value = unsafe { apr_table_get((*r).subprocess_env, c"USERTRACK_TEST_CLOCK_OFFSET".as_ptr()) };
    unsafe { c_bytes(value) }.and_then(|bytes| std::str::from_utf8(bytes).ok()?.parse().ok()).unwrap_or(0)
}

#[cfg(not(feature = "test-clock"))]
unsafe fn test_clock_offset(_r: *mut request_rec) -> i64 {
    0
}

/// Whether this process has said that cookieless tracking found no salt cache. Process state,
/// not configuration: a restart reloads the DSO and the warning comes again.
static WARNED_NO_SALT_CACHE: AtomicBool = AtomicBool::new(false);

/// `CookielessTracking on` where the server made no salt cache: only a directory's config or
/// `.htaccess` asked for it, and the cache is made before the server starts. Said once per
/// process, so a busy site's log is not flooded; the requests stay untracked.
unsafe fn warn_no_salt_cache(r: *mut request_rec) {
    if !WARNED_NO_SALT_CACHE.swap(true, Ordering::Relaxed) {
        let message = "CookielessTracking is on for this request, but the server config has no salt cache (CookielessTracking on only in \
                       .htaccess or a directory?): requests here stay untracked; set CookielessSaltCache (e.g. CookielessSaltCache shmcb) \
                       in the server config (this warning: once per process)";
        unsafe { log::request(r, log::WARNING, message) };
    }
}

/// Gives the request its cookieless ID, if the day's salt is at hand; otherwise the request is
/// served untracked (`-` in the log).
///
/// # Safety
/// `r` is a live main request and `config` its settings, with cookieless tracking on.
pub unsafe fn cookieless_visit(r: *mut request_rec, config: &DirConfig) {
    // Inside the calling hook's guard (fixups, or a refused request's later hook).
    fault_point("cookieless", unsafe { (*r).headers_in });
    let main_server = unsafe { ap_server_conf };
    if main_server.is_null() {
        return;
    }
    let Some(SaltCache::Ready(runtime)) = (unsafe { server_config(main_server) }).map(|config| config.salt_cache) else {
        unsafe { warn_no_salt_cache(r) };
        return;
    };
    let now = unsafe { request_seconds(r) };
    let Some(salt) = (unsafe { (*runtime).salt_for(r, UtcDay::of_unix_seconds(now), now) }) else { return };
    let fields = unsafe {
        VisitorFields {
            server_name: c_bytes((*(*r).server).server_hostname).unwrap_or_default(),
            client_ip: c_bytes((*r).useragent_ip).unwrap_or_default(),
            user_agent: c_bytes(apr_table_get((*r).headers_in, c"User-Agent".as_ptr())).unwrap_or_default(),
        }
    };
    let id = cookieless_id(&salt, &fields);
    // USERTRACK_NEW is not set: the callers have retired what the early look noted, the only
    // place it could come from (an internal redirect renames the environment REDIRECT_*).
    unsafe {
        // Made on the stack and moved into pool memory whole, NUL included: no copy call.
        let id = (*alloc_value((*r).pool, id)).with_nul().as_ptr().cast();
        let notes = [(c"cookie".as_ptr(), id), (config.cookie_name().as_ptr(), id)];
        set_entries((*r).notes, notes, !config.name_is_cookie_note());
        let env = [(c"USERTRACK_ID".as_ptr(), id), (c"USERTRACK_COOKIELESS".as_ptr(), c"1".as_ptr())];
        set_entries((*r).subprocess_env, env, true);
    }
}
