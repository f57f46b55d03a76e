//! ClickPath's entries in the command table: server config and virtual hosts only (inside
//! `<Directory>`/`<Location>` the directive callbacks refuse with the Perl module's message;
//! `.htaccess` gets httpd's own "not allowed here").

use std::ffi::{CStr, c_void};
use std::ptr::without_provenance_mut;

use super::super::bindings::{ACCESS_CONF, RSRC_CONF, cmd_func, cmd_how, command_rec};
use super::directives::{set_container, set_secret, set_text};

const fn entry(name: &'static CStr, func: cmd_func, args_how: cmd_how::Type, index: usize, help: &'static CStr) -> command_rec {
    command_rec {
        name: name.as_ptr(),
        func,
        cmd_data: without_provenance_mut::<c_void>(index),
        req_override: RSRC_CONF | ACCESS_CONF,
        args_how,
        errmsg: help.as_ptr(),
    }
}

const TAKE1: cmd_func = cmd_func { take1: Some(set_text) };
const RAW_TEXT: cmd_func = cmd_func { raw_args: Some(set_text) };
const CONTAINER: cmd_func = cmd_func { raw_args: Some(set_container) };

/// The indexes select entries of `directives::TEXT_DIRECTIVES` / `CONTAINERS`; the help texts
/// are the Perl module's usage strings (httpd's "takes one argument, <usage>").
pub const CLICKPATH_COMMANDS: [command_rec; 10] = [
    entry(c"ClickPathSessionPrefix", TAKE1, cmd_how::TAKE1, 0, c"ClickPathSessionPrefix string"),
    entry(c"ClickPathMaxSessionAge", TAKE1, cmd_how::TAKE1, 1, c"ClickPathMaxSessionAge time_in_seconds"),
    entry(c"<ClickPathUAExceptions", CONTAINER, cmd_how::RAW_ARGS, 0, c"<ClickPathUAExceptions> name regex lines </ClickPathUAExceptions>"),
    entry(c"ClickPathUAExceptionsFile", TAKE1, cmd_how::TAKE1, 2, c"ClickPathUAExceptionsFile filename"),
    entry(c"<ClickPathFriendlySessions", CONTAINER, cmd_how::RAW_ARGS, 1, c"<ClickPathFriendlySessions> host uri(N) param(NAME) name lines </ClickPathFriendlySessions>"),
    entry(c"ClickPathFriendlySessionsFile", TAKE1, cmd_how::TAKE1, 3, c"ClickPathFriendlySessionsFile filename"),
    entry(c"ClickPathMachine", RAW_TEXT, cmd_how::RAW_ARGS, 4, c"ClickPathMachine [name]"),
    entry(c"<ClickPathMachineTable", CONTAINER, cmd_how::RAW_ARGS, 2, c"<ClickPathMachineTable> host name store lines </ClickPathMachineTable>"),
    entry(c"ClickPathSecret", cmd_func { raw_args: Some(set_secret) }, cmd_how::RAW_ARGS, 0, c"ClickPathSecret data:... or file:... URL"),
    entry(c"ClickPathSecretIV", RAW_TEXT, cmd_how::RAW_ARGS, 5, c"ClickPathSecretIV string"),
];
