//! Every entry point httpd calls runs inside `catch_unwind`: a panic must never unwind into C
//! (since Rust 1.81 that aborts the whole child and every request it serves). A caught panic
//! becomes a logged error and a harmless result.
//!
//! No process-wide panic hook is installed: the DSO is unloaded on restart, and a hook left
//! pointing into it would crash the next panic anywhere in the process.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::bindings::apr_table_t;

fn describe(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

/// Runs `body`; on a panic, reports its message to `report` and returns `fallback()`.
pub fn catching<T>(body: impl FnOnce() -> T, report: impl FnOnce(&str), fallback: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let _ = catch_unwind(AssertUnwindSafe(|| report(describe(payload.as_ref()))));
            fallback()
        }
    }
}

/// Test-only fault injection, in builds with the cargo feature `fault-injection` alone (`make
/// test` builds one with `cargo build --profile fault --features fault-injection`): a release
/// build contains none of it, which `tests/faults.rs` checks in the release `.so`.
///
/// Every guarded entry point calls this first, inside its guard, with its name. It panics when
/// the environment variable `USERTRACK_FAULT` names the entry point (for the config callbacks,
/// post_config and child_init: set when httpd starts) or, for the request hooks (`headers_in`
/// not null), the request header `X-Usertrack-Fault` does. Both take a comma-separated list.
#[cfg(feature = "fault-injection")]
pub fn fault_point(entry_point: &str, headers_in: *mut apr_table_t) {
    let from_header = !headers_in.is_null() && {
        // SAFETY: a live request's headers_in; the value is a NUL-terminated pool string.
        let value = unsafe { super::bindings::apr_table_get(headers_in, c"X-Usertrack-Fault".as_ptr()) };
        !value.is_null() && names(unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes(), entry_point)
    };
    if from_header || fault_active(entry_point) {
        panic!("fault injected in {entry_point} (fault-injection build)");
    }
}

/// Whether `USERTRACK_FAULT` names `fault`: also `getrandom`, which makes seeding the CSPRNG
/// fail as if the OS gave no random bytes (`crate::random`).
#[cfg(feature = "fault-injection")]
pub fn fault_active(fault: &str) -> bool {
    std::env::var_os("USERTRACK_FAULT").is_some_and(|list| names(list.as_encoded_bytes(), fault))
}

#[cfg(feature = "fault-injection")]
fn names(list: &[u8], name: &str) -> bool {
    list.split(|&byte| byte == b',').any(|item| item.trim_ascii() == name.as_bytes())
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn fault_point(_entry_point: &str, _headers_in: *mut apr_table_t) {}

/// For hooks called with a server (post_config, child_init): a panic becomes an error-log line
/// "internal error in <hook>" and `fallback()`.
pub fn server_hook<T>(
    server: *const super::bindings::server_rec,
    hook: &str,
    body: impl FnOnce() -> T,
    fallback: impl FnOnce() -> T,
) -> T {
    // SAFETY: httpd passes its live server (or NULL, which the logger accepts).
    let report = |panic: &str| unsafe { super::log::server(server, super::log::ERR, &format!("internal error in {hook}: {panic}")) };
    catching(body, report, fallback)
}

#[cfg(test)]
mod tests {
    use super::catching;

    #[test]
    fn passes_values_through() {
        assert_eq!(catching(|| 7, |_| panic!("not called"), || 0), 7);
    }

    #[test]
    fn a_panic_becomes_the_fallback_and_is_reported() {
        let mut reported = String::new();
        let value = catching(|| -> i32 { panic!("boom {}", 1) }, |m| reported = m.to_string(), || -1);
        assert_eq!(value, -1);
        assert_eq!(reported, "boom 1");
    }

    #[test]
    fn a_panicking_report_is_contained() {
        assert_eq!(catching(|| -> i32 { panic!("first") }, |_| panic!("second"), || 3), 3);
    }
}
