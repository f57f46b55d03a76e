//! The CLICKPATH output filter (spec §6), added for main requests that have a session to carry
//! (crawlers and servers without ClickPath never get it). On its first call it rewrites the
//! `Location`/`Refresh` headers and, for `text/html`, drops `Content-Length` and streams the
//! body through `core::clickpath::rewrite::body`; otherwise it removes itself.

use std::cell::Cell;
use std::ffi::{CStr, c_void};

use super::super::bindings::{
    ap_add_output_filter, ap_filter_t, ap_pass_brigade, ap_remove_output_filter, apr_brigade_cleanup, apr_brigade_create,
    apr_brigade_write, apr_bucket_brigade, apr_pool_cleanup_null, apr_pool_cleanup_register, apr_read_type_e,
    apr_status_t, apr_table_get,
    apr_table_setn, apr_table_t, apr_table_unset, request_rec,
};
use super::super::guard::{catching, fault_point};
use super::super::log;
use super::super::pool::{PoolStr, alloc_value, c_bytes};
use super::brigade;
use super::request_mode;
use super::server_config::record;
use crate::core::clickpath::ready::ReadyClickPath;
use crate::core::clickpath::rewrite::base::base;
use crate::core::clickpath::rewrite::body::BodyRewriter;
use crate::core::clickpath::rewrite::headers::HeaderRewriter;
use crate::core::clickpath::rewrite::{RewriteContext, SessionKind, is_html};
use crate::core::clickpath::translate::FilterMode;

pub const FILTER_NAME: &CStr = c"CLICKPATH";
/// Rewritten output held before it is passed on: what bounds the filter's memory (with the
/// rewriter's held-back piece) however long the body, when a whole file or CGI output comes as
/// one brigade.
const PASS_AT: usize = 64 * 1024;

/// The filter's state for one response, in the request pool (dropped by a pool cleanup).
struct BodyState {
    stage: BodyStage,
    out: *mut apr_bucket_brigade,
}

enum BodyStage {
    Streaming(BodyRewriter<'static>),
    /// After EOS: anything later passes as it is.
    Ended,
}

unsafe extern "C" fn drop_state(data: *mut c_void) -> apr_status_t {
    catching(|| unsafe { std::ptr::drop_in_place(data.cast::<BodyState>()) }, |_| (), || ());
    0
}

/// insert_filter: only main requests with a session to write into links.
pub unsafe extern "C" fn insert_filter(r: *mut request_rec) {
    catching(
        || unsafe {
            fault_point("clickpath_insert_filter", (*r).headers_in);
            if (*r).main.is_null() && request_mode::recorded(r) != FilterMode::Off {
                ap_add_output_filter(FILTER_NAME.as_ptr(), std::ptr::null_mut(), r, (*r).connection);
            }
        },
        |panic| unsafe { log::request(r, log::ERR, &format!("internal error in ClickPath's insert_filter: {panic}")) },
        || (),
    )
}

unsafe fn pass_through(f: *mut ap_filter_t, brigade: *mut apr_bucket_brigade) -> apr_status_t {
    unsafe {
        ap_remove_output_filter(f);
        ap_pass_brigade((*f).next, brigade)
    }
}

pub unsafe extern "C" fn filter(f: *mut ap_filter_t, brigade: *mut apr_bucket_brigade) -> apr_status_t {
    catching(
        || unsafe {
            fault_point("clickpath_output_filter", (*(*f).r).headers_in);
            if (*f).ctx.is_null() {
                match start(f) {
                    Some(state) => (*f).ctx = state.cast(),
                    None => return pass_through(f, brigade),
                }
            }
            stream(f, &mut *(*f).ctx.cast::<BodyState>(), brigade)
        },
        |panic| unsafe { log::request((*f).r, log::ERR, &format!("internal error in ClickPath's output filter: {panic}")) },
        || unsafe { pass_through(f, brigade) },
    )
}

unsafe fn text<'a>(table: *mut apr_table_t, name: &CStr) -> Option<&'a [u8]> {
    unsafe { c_bytes(apr_table_get(table, name.as_ptr())) }
}

/// The first call: the rewriting context, the headers, and the body's state if it is HTML.
unsafe fn start(f: *mut ap_filter_t) -> Option<*mut BodyState> {
    unsafe {
        let r = (*f).r;
        if !(*r).main.is_null() {
            return None;
        }
        let mode = request_mode::recorded(r);
        let session_path = text((*r).subprocess_env, c"CGI_SESSION").filter(|path| !path.is_empty())?;
        let ready = record((*r).server)?.ready()?;
        let prefix = ready.settings.prefix.as_deref()?;
        let session = match mode {
            FilterMode::Off => return None,
            FilterMode::Existing => SessionKind::Existing,
            FilterMode::NewSession | FilterMode::ReplacedSession => {
                let request_line = c_bytes((*r).the_request).unwrap_or_default();
                SessionKind::New { base: base(request_line, prefix, mode == FilterMode::ReplacedSession) }
            }
        };
        let host = text((*r).headers_in, c"Host").unwrap_or_default();
        let context = RewriteContext { host, prefix, session_path, session };
        rewrite_headers(r, ready, context);
        if !c_bytes((*r).content_type).is_some_and(is_html) {
            return None;
        }
        let rewriter = match ready.link_patterns.body(&context) {
            Ok(patterns) => BodyRewriter::with_patterns(patterns, context),
            Err(error) => {
                log::request(r, log::ERR, &format!("ClickPath: cannot compile the link patterns: {error}"));
                return None;
            }
        };
        apr_table_unset((*r).headers_out, c"Content-Length".as_ptr());
        let out = apr_brigade_create((*r).pool, (*(*f).c).bucket_alloc);
        let state = alloc_value((*r).pool, BodyState { stage: BodyStage::Streaming(rewriter), out });
        apr_pool_cleanup_register((*r).pool, state.cast(), Some(drop_state), Some(apr_pool_cleanup_null));
        Some(state)
    }
}

/// `Location` and `Refresh` in both header tables, each replaced only when it changes. The
/// patterns are the process's, compiled on first use (`rewrite::cache`), and looked up only when
/// one of the headers is there.
unsafe fn rewrite_headers(r: *mut request_rec, ready: &ReadyClickPath, context: RewriteContext) {
    unsafe {
        let tables = [(*r).headers_out, (*r).err_headers_out];
        let has_any = tables.iter().any(|&table| text(table, c"Location").is_some() || text(table, c"Refresh").is_some());
        if !has_any {
            return;
        }
        let rewriter = match ready.header_patterns.headers(&context) {
            Ok(patterns) => HeaderRewriter::with_patterns(patterns, context),
            Err(error) => return log::request(r, log::ERR, &format!("ClickPath: cannot compile the header patterns: {error}")),
        };
        for table in tables {
            for name in [c"Location", c"Refresh"] {
                let rewrite = |value| if name == c"Location" { rewriter.location(value) } else { rewriter.refresh(value) };
                if let Some(new) = text(table, name).and_then(rewrite) {
                    apr_table_setn(table, name.as_ptr(), PoolStr::copy((*r).pool, &new).as_ptr());
                }
            }
        }
    }
}

/// Passes `out` to the next filter and empties it.
unsafe fn pass_on(f: *mut ap_filter_t, out: *mut apr_bucket_brigade) -> apr_status_t {
    unsafe {
        let status = ap_pass_brigade((*f).next, out);
        apr_brigade_cleanup(out.cast());
        status
    }
}

/// Feeds the brigade's data to the rewriter and passes on what it emits, with the metadata
/// buckets (FLUSH, EOS) in place. What it emits goes on every `PASS_AT` bytes, and with a FLUSH
/// whenever the source has nothing ready (a CGI that pauses), as httpd's own filters do: a
/// brigade with a whole file or a CGI's whole output is not held until its end.
unsafe fn stream(f: *mut ap_filter_t, state: &mut BodyState, brigade: *mut apr_bucket_brigade) -> apr_status_t {
    unsafe {
        let BodyStage::Streaming(rewriter) = &mut state.stage else { return ap_pass_brigade((*f).next, brigade) };
        let out = state.out;
        let mut reached_end = false;
        let held = Cell::new(0usize);
        let mut emit = |bytes: &[u8]| {
            apr_brigade_write(out, None, std::ptr::null_mut(), bytes.as_ptr().cast(), bytes.len());
            held.set(held.get() + bytes.len());
        };
        let mut bucket = brigade::first(brigade);
        while bucket != brigade::sentinel(brigade) {
            let mut following = brigade::next(bucket);
            if brigade::is_eos(bucket) {
                rewriter.finish(&mut emit);
                brigade::move_to_tail(bucket, out);
                reached_end = true;
                break;
            } else if brigade::is_metadata(bucket) {
                brigade::move_to_tail(bucket, out);
            } else {
                let data = match brigade::read(bucket, apr_read_type_e::APR_NONBLOCK_READ) {
                    Err(status) if status == libc::EAGAIN => {
                        brigade::append_flush(out);
                        held.set(0);
                        let status = pass_on(f, out);
                        if status != 0 {
                            return status;
                        }
                        brigade::read(bucket, apr_read_type_e::APR_BLOCK_READ)
                    }
                    other => other,
                };
                match data {
                    Ok(data) => rewriter.feed(data, &mut emit),
                    Err(status) => return status,
                }
                // Reading a pipe, socket or large file bucket morphs it into the bytes read and
                // links a new bucket with the rest right after it: that one is next, not the
                // bucket that followed before the read (a CGI's output would end after its
                // first read, and EOS gave it a Content-Length of that much). The bucket read is
                // fed, so it goes now, not with the brigade.
                following = brigade::next(bucket);
                brigade::delete(bucket);
                if held.get() >= PASS_AT {
                    held.set(0);
                    let status = pass_on(f, out);
                    if status != 0 {
                        return status;
                    }
                }
            }
            bucket = following;
        }
        if reached_end {
            state.stage = BodyStage::Ended;
        }
        apr_brigade_cleanup(brigade.cast());
        pass_on(f, out)
    }
}
