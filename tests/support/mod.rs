//! Small reusable harness for tests that drive a real Apache httpd:
//! temp dirs, starting/stopping `apache2` with a generated config, a raw HTTP
//! client and helpers for mod_usertrack cookie values.
//!
//! Environment:
//! - `MODULE_SO`: the module under test (default `<crate>/target/release/libmod_usertrack.so`)
//! - `STOCK_MODULE_SO`: the stock C module (default `/usr/lib/apache2/modules/mod_usertrack.so`)
//! - `APACHE2`: the httpd binary (default `/usr/sbin/apache2`)
//! - `UT_KEEP_TMP=1`: keep the temp dirs (server root, logs) for debugging
#![allow(dead_code)]

pub mod client;
pub mod cookie;
pub mod httpd;
pub mod tmp;
