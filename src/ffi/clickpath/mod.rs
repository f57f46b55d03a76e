//! ClickPath's side of the FFI layer: its directives, server config records, translate_name
//! hook and output filter. Independent of cookie tracking: either, both or neither may be on.

mod brigade;
pub mod commands;
pub mod directives;
mod files;
pub mod output_filter;
mod request_mode;
pub mod server_config;
pub mod translate_hook;
