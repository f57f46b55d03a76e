//! The Cookie* directives: httpd hands us the argument, `core::settings` validates and stores.
//! Which directive is being set travels in the command table's `cmd_data` (`cmd->info`).

use std::ffi::{c_char, c_int, c_void};

use super::bindings::{ACCESS_CONF, RSRC_CONF, ap_server_root_relative, cmd_parms};
use super::dir_config::DirConfig;
use super::guard::{catching, fault_point};
use super::salt_cache::create_cache;
use super::server_config::server_config;
use super::log;
use super::pool::{PoolStr, alloc_value, c_bytes, error_message};
use crate::core::cookieless::salt_cache::{SaltCacheError, SaltCacheSpec};
use crate::core::settings::{FlagDirective, SigningKeys, TextDirective};
use crate::core::signing::{KeyFileError, KeyRing};

/// Indexed by `cmd_data` of the TAKE1 entries in the command table.
pub const TEXT_DIRECTIVES: [TextDirective; 7] = TextDirective::ALL;
/// Indexed by `cmd_data` of the FLAG entries in the command table.
pub const FLAG_DIRECTIVES: [FlagDirective; 8] = FlagDirective::ALL;

/// `handler`: the callback's name; the directive's comes from the command table.
fn log_panic(cmd: *mut cmd_parms, handler: &str, panic: &str) {
    // SAFETY: httpd passes a live cmd_parms whose command entry is ours.
    unsafe {
        let directive = String::from_utf8_lossy(c_bytes((*(*cmd).cmd).name).unwrap_or_default());
        log::server((*cmd).server, log::ERR, &format!("internal error in {handler} ({directive}): {panic}"));
    }
}

fn internal_error(cmd: *mut cmd_parms) -> *const c_char {
    // SAFETY: httpd passes a live cmd_parms.
    unsafe { error_message((*cmd).pool, "mod_usertrack: internal error, see the error log") }
}

/// A startup warning, not repeated on every request for a directive in .htaccess. Logged
/// without a server: a virtual host's log level is not set yet while its config is read, and
/// httpd would drop the message.
unsafe fn warn(cmd: *mut cmd_parms, warning: &str) {
    let from_server_config = unsafe { (*cmd).override_ } & (RSRC_CONF | ACCESS_CONF) != 0;
    if from_server_config {
        unsafe { log::server(std::ptr::null(), log::WARNING, warning) };
    } else {
        unsafe { log::server((*cmd).server, log::DEBUG, warning) };
    }
}

pub unsafe extern "C" fn set_text(cmd: *mut cmd_parms, dir: *mut c_void, arg: *const c_char) -> *const c_char {
    catching(
        || unsafe {
            fault_point("set_text", std::ptr::null_mut());
            let directive = TEXT_DIRECTIVES[(*cmd).info as usize];
            // NULL only if create_dir_config failed (and logged why).
            let Some(config) = dir.cast::<DirConfig>().as_mut() else { return internal_error(cmd) };
            let pool = (*cmd).pool;
            let arg = c_bytes(arg).unwrap_or_default();
            match config.change_settings(pool, |settings| settings.apply_text(directive, arg, |bytes| PoolStr::copy(pool, bytes))) {
                Ok(warning) => {
                    if let Some(warning) = warning {
                        warn(cmd, &warning);
                    }
                    std::ptr::null()
                }
                Err(message) => error_message(pool, &message),
            }
        },
        |panic| log_panic(cmd, "set_text", panic),
        || internal_error(cmd),
    )
}

pub unsafe extern "C" fn set_flag(cmd: *mut cmd_parms, dir: *mut c_void, on: c_int) -> *const c_char {
    catching(
        || unsafe {
            fault_point("set_flag", std::ptr::null_mut());
            let directive = FLAG_DIRECTIVES[(*cmd).info as usize];
            let Some(config) = dir.cast::<DirConfig>().as_mut() else { return internal_error(cmd) };
            config.change_settings((*cmd).pool, |settings| settings.apply_flag(directive, on != 0));
            // A server config that turns cookieless tracking on needs the salt cache (the
            // default one, unless CookielessSaltCache names another). Not from .htaccess: the
            // cache is made before the server starts.
            let from_server_config = (*cmd).override_ & (RSRC_CONF | ACCESS_CONF) != 0;
            if directive == FlagDirective::Cookieless
                && on != 0
                && from_server_config
                && let Some(server) = server_config((*cmd).server)
            {
                server.salt_cache.want();
            }
            std::ptr::null()
        },
        |panic| log_panic(cmd, "set_flag", panic),
        || internal_error(cmd),
    )
}

/// Reads a key file: as root when it is in the server config, so it can be root's alone.
fn load_key_ring(path: &str) -> Result<KeyRing, KeyFileError> {
    use std::os::unix::fs::MetadataExt;
    let unreadable = |error: std::io::Error| KeyFileError::Unreadable { path: path.to_string(), reason: error.to_string() };
    let mode = std::fs::metadata(path).map_err(unreadable)?.mode();
    let contents = std::fs::read(path).map_err(unreadable)?;
    KeyRing::from_file_contents(path, &contents, mode)
}

/// `CookieSignKeyFile path`: relative to ServerRoot, read now, kept in the config pool.
pub unsafe extern "C" fn set_sign_key_file(cmd: *mut cmd_parms, dir: *mut c_void, arg: *const c_char) -> *const c_char {
    catching(
        || unsafe {
            fault_point("set_sign_key_file", std::ptr::null_mut());
            let pool = (*cmd).pool;
            let Some(config) = dir.cast::<DirConfig>().as_mut() else { return internal_error(cmd) };
            let Some(path) = c_bytes(ap_server_root_relative(pool, arg)) else {
                let arg = String::from_utf8_lossy(c_bytes(arg).unwrap_or_default());
                return error_message(pool, &format!("CookieSignKeyFile \"{arg}\" is not a valid path"));
            };
            let path = String::from_utf8_lossy(path);
            match load_key_ring(&path) {
                Ok(ring) => {
                    // A key ring owns no heap memory: the pool frees it with the config.
                    let ring: &'static KeyRing = &*alloc_value(pool, ring);
                    config.change_settings(pool, |settings| settings.sign_keys = Some(SigningKeys(ring)));
                    std::ptr::null()
                }
                Err(error) => error_message(pool, &error.to_string()),
            }
        },
        |panic| log_panic(cmd, "set_sign_key_file", panic),
        || internal_error(cmd),
    )
}

/// `CookielessSaltCache provider[:arguments]`: main server config only. The provider is looked
/// up and its cache created now, so `apache2 -t` reports a missing module or bad arguments.
pub unsafe extern "C" fn set_salt_cache(cmd: *mut cmd_parms, _dir: *mut c_void, arg: *const c_char) -> *const c_char {
    catching(
        || unsafe {
            fault_point("set_salt_cache", std::ptr::null_mut());
            let pool = (*cmd).pool;
            let created = if (*(*cmd).server).is_virtual != 0 {
                Err(SaltCacheError::NotInVirtualHost)
            } else {
                SaltCacheSpec::parse(c_bytes(arg).unwrap_or_default())
                    .and_then(|spec| create_cache(spec, true, pool, (*cmd).temp_pool))
            };
            match (created, server_config((*cmd).server)) {
                (Ok(cache), Some(server)) => {
                    server.salt_cache.configure(cache);
                    std::ptr::null()
                }
                (Ok(_), None) => internal_error(cmd),
                (Err(error), _) => error_message(pool, &error.to_string()),
            }
        },
        |panic| log_panic(cmd, "set_salt_cache", panic),
        || internal_error(cmd),
    )
}
