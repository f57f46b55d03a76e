#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, unnecessary_transmutes)]
#![allow(clippy::all)]
include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
