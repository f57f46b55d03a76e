//! mod_usertrack for Apache httpd 2.4, in Rust.
//!
//! `core` holds all behaviour as pure, safe Rust; `ffi` is the thin unsafe layer that httpd
//! calls into; `random` is the per-thread CSPRNG behind new IDs.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod core;
pub mod ffi;
pub mod random;
