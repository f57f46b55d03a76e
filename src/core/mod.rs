//! Everything the module decides, in safe Rust with no httpd types: unit-tested without httpd.

pub mod byte_writer;
pub mod clickpath;
pub mod config_words;
pub mod cookieless;
pub mod cookie_inject;
pub mod cookie_scan;
pub mod cookie_value;
pub mod expires;
pub mod hex;
pub mod id_format;
pub mod log_escape;
pub mod netscape_date;
pub mod set_cookie;
pub mod settings;
pub mod signing;
pub mod substring;
pub mod token;
pub mod tracking_id;
pub mod unique_clock;
pub mod visit;
