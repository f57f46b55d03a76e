//! translate_name, before mod_rewrite and mod_alias see the URI (spec §4): gathers the
//! request's facts, lets `core::clickpath::translate` decide, applies the outcome. Sub-requests
//! and internal redirects copy their parent's session (§7). Always DECLINED.

use std::ffi::{CStr, c_char, c_int};
use std::sync::atomic::{AtomicU16, Ordering};

use super::super::bindings::{
    DECLINED, ap_parse_uri, apr_pool_t, apr_table_addn, apr_table_get, apr_table_setn, apr_table_t, apr_table_unset, request_rec,
};
use super::super::guard::{catching, fault_point};
use super::super::log;
use super::super::pool::{PoolStr, alloc_zeroed, c_bytes};
use super::super::table;
use super::files::RealFiles;
use super::request_mode;
use super::server_config::record;
use crate::core::byte_writer::ByteWriter;
use crate::core::clickpath::translate::{Env, INHERITED, INHERITED_IF_NON_EMPTY, RequestFacts, Translation, translate};
use crate::core::tracking_id::RandomSource;
use crate::random::ThreadRandom;

/// The per-process ID counter (spec §3.1): starts at a random value in each child.
static COUNTER: AtomicU16 = AtomicU16::new(0);

/// child_init: a random start, so children's counters differ from the parent's.
pub fn seed_counter() {
    if let Some(start) = ThreadRandom.try_next_u32() {
        COUNTER.store(start as u16, Ordering::Relaxed);
    }
}

unsafe fn header<'a>(table: *mut apr_table_t, name: &CStr) -> Option<&'a [u8]> {
    unsafe { c_bytes(apr_table_get(table, name.as_ptr())) }
}

pub unsafe extern "C" fn translate_name(r: *mut request_rec) -> c_int {
    catching(
        || unsafe {
            fault_point("clickpath_translate_name", (*r).headers_in);
            translate_request(r);
            DECLINED
        },
        |panic| unsafe { log::request(r, log::ERR, &format!("internal error in ClickPath's translate_name: {panic}")) },
        || DECLINED,
    )
}

unsafe fn translate_request(r: *mut request_rec) {
    let Some(ready) = (unsafe { record((*r).server) }).and_then(|record| record.ready()) else { return };
    if ready.settings.prefix.is_none() {
        return;
    }
    let parent = unsafe { if (*r).main.is_null() { (*r).prev } else { (*r).main } };
    if !parent.is_null() {
        unsafe { inherit(r, parent) };
        return;
    }
    let files = RealFiles { now: unsafe { (*r).request_time } / 1_000_000 };
    let (ua_exceptions, friendly) = (ready.ua_exceptions(&files), ready.friendly(&files));
    let Some(config) = ready.active(&ua_exceptions, &friendly) else { return };
    unsafe {
        let connection = (*r).connection;
        let path = c_bytes((*r).uri).unwrap_or_default();
        let facts = RequestFacts {
            path,
            args: c_bytes((*r).args),
            referer: header((*r).headers_in, c"Referer"),
            user_agent: header((*r).headers_in, c"User-Agent"),
            request_time: (*r).request_time / 1_000_000,
            local_ip: c_bytes((*connection).local_ip).unwrap_or_default(),
            pid: std::process::id(),
            conn_id: (*connection).id as u32,
        };
        let pool = (*r).pool;
        let translation = translate(&config, &facts, |len| alloc_zeroed(pool, len), || COUNTER.fetch_add(1, Ordering::Relaxed));
        apply(r, &translation);
    }
}

/// A number as a pool string, formatted on the stack without `core::fmt` (this runs for every
/// request with ClickPath on, crawlers' included). Zero, every new session's age, needs no copy.
unsafe fn decimal(pool: *mut apr_pool_t, number: i64) -> *const c_char {
    if number == 0 {
        return c"0".as_ptr();
    }
    let mut digits = [0u8; "-9223372036854775808".len()];
    let mut writer = ByteWriter::new(&mut digits);
    if number < 0 {
        writer.put(b"-");
    }
    writer.put_decimal(number.unsigned_abs());
    let len = writer.written();
    unsafe { PoolStr::copy(pool, &digits[..len]) }.as_ptr()
}

unsafe fn apply(r: *mut request_rec, translation: &Translation) {
    unsafe {
        let pool = (*r).pool;
        if let Some(referer) = &translation.new_referer {
            apr_table_setn((*r).headers_in, c"Referer".as_ptr(), PoolStr::copy(pool, referer).as_ptr());
        }
        let env = (*r).subprocess_env;
        // Usually nothing has set a variable yet: then there is nothing to unset or replace,
        // and adding skips apr_table_setn's search (the SESSION* names share a checksum, so
        // every set would compare the names set before it). Each name occurs once.
        let fresh = table::is_empty(env);
        let set = if fresh { apr_table_addn } else { apr_table_setn };
        for (name, value) in translation.env.entries() {
            match value {
                Env::Untouched => {}
                Env::Unset if fresh => {}
                Env::Unset => apr_table_unset(env, name.as_ptr()),
                Env::Set(bytes) => set(env, name.as_ptr(), PoolStr::copy(pool, bytes).as_ptr()),
                Env::Number(number) => set(env, name.as_ptr(), decimal(pool, *number)),
            }
        }
        if let Some(notice) = &translation.notice {
            log::request(r, log::NOTICE, &notice.to_string());
        }
        if let Some(error) = &translation.server_error {
            log::server((*r).server, log::ERR, &error.to_string());
        }
        request_mode::record(r, translation.filter);
        if let Some(uri) = &translation.new_uri {
            // Only the path and query are parsed again: the host and port the request came
            // with stay (quirk 3, fixed: the Perl module parsed "http://localhost" + path).
            let before = (*r).parsed_uri;
            ap_parse_uri(r, PoolStr::copy(pool, uri).as_ptr());
            let parsed = &mut (*r).parsed_uri;
            parsed.scheme = before.scheme;
            parsed.hostinfo = before.hostinfo;
            parsed.user = before.user;
            parsed.password = before.password;
            parsed.hostname = before.hostname;
            parsed.port_str = before.port_str;
            parsed.port = before.port;
        }
    }
}

/// Spec §4 step 1: a parent with a SESSION passes its session variables and filter mode on.
unsafe fn inherit(r: *mut request_rec, parent: *mut request_rec) {
    unsafe {
        let from = (*parent).subprocess_env;
        if header(from, c"SESSION").is_none_or(<[u8]>::is_empty) {
            return;
        }
        let to = (*r).subprocess_env;
        for name in INHERITED {
            let value = apr_table_get(from, name.as_ptr());
            if value.is_null() {
                apr_table_unset(to, name.as_ptr());
            } else {
                apr_table_setn(to, name.as_ptr(), value);
            }
        }
        if let Some(store) = header(from, INHERITED_IF_NON_EMPTY).filter(|store| !store.is_empty()) {
            apr_table_setn(to, INHERITED_IF_NON_EMPTY.as_ptr(), store.as_ptr().cast());
        }
        request_mode::record(r, request_mode::recorded(parent));
    }
}
