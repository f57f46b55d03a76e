//! Cookieless sessions in the URL, as Apache2::ClickPath had them (spec: clickpath.md).

pub mod crc8;
pub mod decode_report;
pub mod file_reload;
pub mod friendly_data;
pub mod friendly_table;
pub mod id_base64;
pub mod machine_table;
pub mod perl_text;
pub mod ready;
pub mod rewrite;
pub mod rotation;
pub mod secret;
pub mod secret_url;
pub mod session_id;
pub mod session_url;
pub mod settings;
pub mod translate;
pub mod ua_exceptions;
