//! ClickPath's part of the per-server config record (`super::super::server_config`):
//! `core::clickpath::settings::ServerClickPath` in the config pool (dropped by a pool cleanup: it
//! owns tables and regexes). No merging: a vhost with ClickPath directives has its own record,
//! one without shares the main server's.

use std::ffi::c_void;

use super::super::bindings::{apr_pool_cleanup_null, apr_pool_cleanup_register, apr_pool_t, apr_status_t, server_rec};
use super::super::guard::{catching, fault_point, server_hook};
use super::super::log;
use super::super::pool::alloc_value;
use super::super::server_config::server_config;
use crate::core::clickpath::settings::ServerClickPath;

unsafe extern "C" fn drop_record(data: *mut c_void) -> apr_status_t {
    catching(
        || unsafe { std::ptr::drop_in_place(data.cast::<ServerClickPath>()) },
        |panic| unsafe { log::server(std::ptr::null(), log::ERR, &format!("ClickPath config cleanup: {panic}")) },
        || (),
    );
    0
}

/// A record owned by `pool`: dropped when the pool is cleared.
///
/// # Safety
/// `pool` is a live APR pool.
pub unsafe fn new_record(pool: *mut apr_pool_t) -> *mut ServerClickPath {
    let record = unsafe { alloc_value(pool, ServerClickPath::Unset) };
    unsafe { apr_pool_cleanup_register(pool, record.cast(), Some(drop_record), Some(apr_pool_cleanup_null)) };
    record
}

/// The server's record (the main server's for a vhost without ClickPath directives).
///
/// # Safety
/// `server` is a live server whose config vector was built while this module was loaded.
pub unsafe fn record<'a>(server: *const server_rec) -> Option<&'a mut ServerClickPath> {
    let config = unsafe { server_config(server) }?;
    unsafe { config.clickpath.as_mut() }
}

/// post_config: every server's record becomes `Ready` (shared records once). Guarded on its
/// own: a panic here leaves ClickPath off where a record is not ready (logged), and the rest of
/// post_config (cookie tracking's) still runs.
///
/// # Safety
/// `server` is the main server of a fully read config.
pub unsafe fn make_all_ready(main: *mut server_rec) {
    let body = || {
        fault_point("clickpath_post_config", std::ptr::null_mut());
        let mut server = main;
        while !server.is_null() {
            if let Some(record) = unsafe { record(server) } {
                record.make_ready();
            }
            server = unsafe { (*server).next };
        }
    };
    server_hook(main, "ClickPath's post_config", body, || ());
}
