//! ClickPath's post_config and child_init.

use std::ffi::c_int;

use super::super::bindings::{OK, apr_pool_t, server_rec};
use super::super::guard::catching;
use super::super::log;
use super::server_config::make_all_ready;
use super::translate_hook::seed_counter;

/// Every server's ClickPath config is read: make it ready for requests.
pub unsafe extern "C" fn clickpath_post_config(
    _pconf: *mut apr_pool_t,
    _plog: *mut apr_pool_t,
    _ptemp: *mut apr_pool_t,
    server: *mut server_rec,
) -> c_int {
    catching(
        || unsafe {
            make_all_ready(server);
            OK
        },
        |panic| unsafe { log::server(server, log::ERR, &format!("internal error in ClickPath's post_config: {panic}")) },
        || OK,
    )
}

pub unsafe extern "C" fn clickpath_child_init(_pool: *mut apr_pool_t, server: *mut server_rec) {
    catching(seed_counter, |panic| unsafe { log::server(server, log::ERR, &format!("internal error in ClickPath's child_init: {panic}")) }, || ())
}
