//! The `usertrack_module` symbol httpd's `LoadModule usertrack_module …` looks up, its command
//! table and hook registration.

use std::cell::UnsafeCell;
use std::ffi::{CStr, c_int, c_void};
use std::ptr::{null, null_mut, without_provenance_mut};

use super::bindings::{
    APR_HOOK_MIDDLE, APR_HOOK_REALLY_FIRST, MODULE_MAGIC_COOKIE, MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR, OR_FILEINFO, RSRC_CONF, ap_filter_type, ap_hook_check_config, ap_hook_child_init,
    ap_hook_fixups, ap_hook_insert_error_filter, ap_hook_insert_filter, ap_hook_log_transaction, ap_hook_post_config,
    ap_hook_post_read_request, ap_hook_pre_config, ap_hook_translate_name, ap_register_output_filter, apr_pool_t, cmd_func,
    cmd_how, command_rec, module,
};
use super::dir_config::{create_dir_config, merge_dir_config};
use super::directives::{set_flag, set_salt_cache, set_sign_key_file, set_text};
use super::guard::catching;
use super::clickpath::commands::CLICKPATH_COMMANDS;
use super::clickpath::output_filter::{FILTER_NAME, filter as clickpath_filter, insert_filter};
use super::clickpath::translate_hook::translate_name;
use super::hooks::{child_init, fixups, insert_error_filter, log_transaction, post_config, post_read_request};
use super::salt_cache_hooks::{check_config, pre_config};
use super::server_config::{create_server_config, merge_server_config};
use super::log;

/// httpd writes `module_index`, `next` and `dynamic_load_handle` into the struct, so it must sit
/// in writable memory: `UnsafeCell` keeps it out of read-only relocations.
#[repr(transparent)]
pub struct ModuleCell(UnsafeCell<module>);

// SAFETY: httpd writes the struct only while loading modules, single-threaded, before any hook runs.
unsafe impl Sync for ModuleCell {}

/// The Cookie* directives, ClickPath's, and the terminator.
const COMMAND_COUNT: usize = COOKIE_COMMANDS.len() + CLICKPATH_COMMANDS.len() + 1;

#[repr(transparent)]
struct CommandTable([command_rec; COMMAND_COUNT]);

// SAFETY: the table is immutable and its pointers refer to 'static data.
unsafe impl Sync for CommandTable {}

/// Every Cookie* directive goes through one of two callbacks; `index` (passed as `cmd_data`,
/// read back as `cmd->info`) says which directive it is.
const fn command(
    name: &'static CStr,
    args_how: cmd_how::Type,
    index: usize,
    help: &'static CStr,
) -> command_rec {
    let func = match args_how {
        cmd_how::FLAG => cmd_func { flag: Some(set_flag) },
        _ => cmd_func { take1: Some(set_text) },
    };
    command_with(name, func, args_how, index, help)
}

const fn command_with(
    name: &'static CStr,
    func: cmd_func,
    args_how: cmd_how::Type,
    index: usize,
    help: &'static CStr,
) -> command_rec {
    command_rec {
        name: name.as_ptr(),
        func,
        cmd_data: without_provenance_mut::<c_void>(index),
        req_override: OR_FILEINFO,
        args_how,
        errmsg: help.as_ptr(),
    }
}

/// Stock order, names and help texts (shown by mod_info and in "takes one argument" errors);
/// the indexes select the entry in `directives::TEXT_DIRECTIVES` / `FLAG_DIRECTIVES`.
const COOKIE_COMMANDS: [command_rec; 17] = [
    command(c"CookieExpires", cmd_how::TAKE1, 0, c"an expiry date code"),
    command(c"CookieDomain", cmd_how::TAKE1, 1, c"domain to which this cookie applies"),
    command(c"CookieStyle", cmd_how::TAKE1, 2, c"'Netscape', 'Cookie' (RFC2109), or 'Cookie2' (RFC2965)"),
    command(c"CookieTracking", cmd_how::FLAG, 0, c"whether or not to enable cookies"),
    command(c"CookieName", cmd_how::TAKE1, 3, c"name of the tracking cookie"),
    command(c"CookieSecure", cmd_how::FLAG, 1, c"is cookie secure"),
    command(c"CookieHttpOnly", cmd_how::FLAG, 2, c"is cookie http only"),
    command(c"CookieSameSite", cmd_how::TAKE1, 4, c"SameSite setting"),
    command(c"CookieIDFormat", cmd_how::TAKE1, 5, c"ID format: 'apache' (default), 'legacy' (client IP and time), 'uuid' or 'uuid7'"),
    command(c"CookiePath", cmd_how::TAKE1, 6, c"path to which this cookie applies (default /)"),
    command(c"CookieInject", cmd_how::FLAG, 3, c"whether a new visitor's ID is added to the request's Cookie header"),
    command(c"CookieRenew", cmd_how::FLAG, 4, c"whether a returning visitor's cookie is re-sent with a fresh expiry"),
    command(c"CookieValidate", cmd_how::FLAG, 5, c"whether a cookie value counts only if it has the shape of an ID"),
    command(c"CookieSignAcceptUnsigned", cmd_how::FLAG, 6, c"whether unsigned IDs are accepted and re-sent signed (turning signing on)"),
    command_with(
        c"CookieSignKeyFile",
        cmd_func { take1: Some(set_sign_key_file) },
        cmd_how::TAKE1,
        0,
        c"file of base64 keys, one a line: the first signs IDs, all verify",
    ),
    command(c"CookielessTracking", cmd_how::FLAG, 7, c"whether visitors without the tracking cookie get a daily cookieless ID"),
    command_rec {
        req_override: RSRC_CONF,
        ..command_with(
            c"CookielessSaltCache",
            cmd_func { take1: Some(set_salt_cache) },
            cmd_how::TAKE1,
            0,
            c"socache provider[:arguments] sharing the daily cookieless salt (default shmcb)",
        )
    },
];

const TERMINATOR: command_rec = command_rec {
    name: null(),
    func: cmd_func { no_args: None },
    cmd_data: null_mut(),
    req_override: 0,
    args_how: cmd_how::RAW_ARGS,
    errmsg: null(),
};

const fn command_table() -> CommandTable {
    let mut table = [TERMINATOR; COMMAND_COUNT];
    let mut index = 0;
    while index < COOKIE_COMMANDS.len() {
        table[index] = COOKIE_COMMANDS[index];
        index += 1;
    }
    while index < COOKIE_COMMANDS.len() + CLICKPATH_COMMANDS.len() {
        table[index] = CLICKPATH_COMMANDS[index - COOKIE_COMMANDS.len()];
        index += 1;
    }
    CommandTable(table)
}

static COMMANDS: CommandTable = command_table();

unsafe extern "C" fn register_hooks(_pool: *mut apr_pool_t) {
    // SAFETY: called by httpd while loading the module; NULL predecessor/successor lists.
    let register = || unsafe {
        ap_hook_pre_config(Some(pre_config), null(), null(), APR_HOOK_MIDDLE);
        ap_hook_check_config(Some(check_config), null(), null(), APR_HOOK_MIDDLE);
        ap_hook_post_config(Some(post_config), null(), null(), APR_HOOK_MIDDLE);
        ap_hook_post_read_request(Some(post_read_request), null(), null(), APR_HOOK_REALLY_FIRST);
        ap_hook_fixups(Some(fixups), null(), null(), APR_HOOK_REALLY_FIRST);
        ap_hook_insert_error_filter(Some(insert_error_filter), null(), null(), APR_HOOK_REALLY_FIRST);
        ap_hook_log_transaction(Some(log_transaction), null(), null(), APR_HOOK_REALLY_FIRST);
        ap_hook_child_init(Some(child_init), null(), null(), APR_HOOK_REALLY_FIRST);
        // ClickPath: strip the session before mod_rewrite and mod_alias see the URI.
        ap_hook_translate_name(Some(translate_name), null(), null(), APR_HOOK_REALLY_FIRST);
        ap_hook_insert_filter(Some(insert_filter), null(), null(), APR_HOOK_MIDDLE);
        ap_register_output_filter(FILTER_NAME.as_ptr(), Some(clickpath_filter), None, ap_filter_type::AP_FTYPE_RESOURCE);
    };
    catching(
        register,
        |panic| unsafe { log::server(null(), log::ERR, &format!("register_hooks: {panic}")) },
        || (),
    )
}

#[unsafe(no_mangle)]
pub static usertrack_module: ModuleCell = ModuleCell(UnsafeCell::new(module {
    version: MODULE_MAGIC_NUMBER_MAJOR,
    minor_version: MODULE_MAGIC_NUMBER_MINOR,
    module_index: -1,
    name: c"mod_usertrack.c".as_ptr(),
    dynamic_load_handle: null_mut(),
    next: null_mut(),
    magic: MODULE_MAGIC_COOKIE as std::ffi::c_ulong,
    rewrite_args: None,
    create_dir_config: Some(create_dir_config),
    merge_dir_config: Some(merge_dir_config),
    create_server_config: Some(create_server_config),
    merge_server_config: Some(merge_server_config),
    cmds: &COMMANDS.0 as *const command_rec,
    register_hooks: Some(register_hooks),
    flags: 0,
}));

/// The index httpd assigned at load time, read live: it changes when the DSO is reloaded.
pub fn module_index() -> c_int {
    // SAFETY: httpd writes module_index only during single-threaded module loading.
    unsafe { (*usertrack_module.0.get()).module_index }
}
