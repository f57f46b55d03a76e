//! Cookieless sessions in the URL, as Apache2::ClickPath had them (spec: clickpath.md).

pub mod crc8;
pub mod friendly_data;
pub mod id_base64;
pub mod rotation;
pub mod secret;
pub mod session_id;
