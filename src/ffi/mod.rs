//! The thin unsafe layer httpd calls into: it translates between httpd's structs and
//! `crate::core`, and holds no logic of its own.

pub mod bindings;
mod clickpath;
mod cookie_header;
mod cookieless;
mod dir_config;
mod directives;
mod guard;
mod hooks;
mod log;
mod module;
mod pool;
mod request_state;
mod restart_carry;
mod salt_cache;
mod salt_cache_hooks;
mod server_config;
mod shared_clock;
mod table;

pub use module::usertrack_module;

#[cfg(feature = "fault-injection")]
pub(crate) use guard::fault_active;
