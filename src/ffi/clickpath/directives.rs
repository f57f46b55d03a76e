//! The ClickPath* directives: httpd hands over the argument (or, for the three containers, the
//! lines inside them), `core::clickpath::settings` validates and stores.

use std::ffi::{c_char, c_void};

use super::super::bindings::{ap_directive_t, ap_server_root_relative, cmd_parms};
use super::super::guard::{catching, fault_point};
use super::super::log;
use super::super::pool::{c_bytes, error_message};
use super::server_config::record;
use crate::core::clickpath::machine_table::{MachineTable, resolve_ipv4};
use crate::core::clickpath::secret_url::{SecretError, SecretSource};
use crate::core::clickpath::settings::{ClickPathSettings, DirectiveError, TextDirective};

/// Indexed by `cmd_data` of the one-argument entries in the command table.
pub const TEXT_DIRECTIVES: [TextDirective; 6] = [
    TextDirective::SessionPrefix,
    TextDirective::MaxSessionAge,
    TextDirective::UaExceptionsFile,
    TextDirective::FriendlySessionsFile,
    TextDirective::Machine,
    TextDirective::SecretIv,
];

/// Indexed by `cmd_data` of the container entries.
#[derive(Clone, Copy)]
pub enum Container {
    UaExceptions,
    FriendlySessions,
    MachineTable,
}
pub const CONTAINERS: [Container; 3] = [Container::UaExceptions, Container::FriendlySessions, Container::MachineTable];

/// Every ClickPath directive handler's body runs here, inside the panic guard: reading a secret
/// file, rebuilding a container's text and resolving hosts included. A panic becomes a logged
/// error and httpd's error string.
fn guarded(cmd: *mut cmd_parms, body: impl FnOnce() -> *const c_char) -> *const c_char {
    // SAFETY (the closures): httpd passes a live cmd_parms.
    catching(
        || {
            fault_point("clickpath_directive", std::ptr::null_mut());
            body()
        },
        |panic| unsafe { log::server((*cmd).server, log::ERR, &format!("internal error in a ClickPath directive: {panic}")) },
        || unsafe { error_message((*cmd).pool, "mod_usertrack: internal error in a ClickPath directive, see the error log") },
    )
}

/// Runs `apply` on the server's settings, unless the directive sits in a `<Directory>`,
/// `<Location>` or similar section; turns an error into httpd's error string.
unsafe fn configure(cmd: *mut cmd_parms, apply: impl FnOnce(&mut ClickPathSettings) -> Result<(), String>) -> *const c_char {
    let pool = unsafe { (*cmd).pool };
    if let Some(section) = unsafe { enclosing_section(cmd) } {
        let name = String::from_utf8_lossy(unsafe { c_bytes((*(*cmd).cmd).name) }.unwrap_or_default());
        return unsafe { error_message(pool, &format!("{name} not allowed in {section}> context")) };
    }
    let Some(record) = (unsafe { record((*cmd).server) }) else {
        return unsafe { error_message(pool, "ClickPath: no server config record (internal error)") };
    };
    match apply(record.configure()) {
        Ok(()) => std::ptr::null(),
        Err(message) => unsafe { error_message(pool, &message) },
    }
}

/// The section (`<Directory`, `<Location`, …) a directive is in, if any.
unsafe fn enclosing_section(cmd: *mut cmd_parms) -> Option<String> {
    if unsafe { (*cmd).path.is_null() } {
        return None;
    }
    let directive: *mut ap_directive_t = unsafe { (*cmd).directive };
    let parent = unsafe { directive.as_ref() }.and_then(|directive| unsafe { directive.parent.as_ref() });
    let name = parent.and_then(|parent| unsafe { c_bytes(parent.directive) }).unwrap_or(b"<Directory");
    Some(String::from_utf8_lossy(name).into_owned())
}

fn text(error: DirectiveError) -> String {
    error.to_string()
}

/// A path relative to ServerRoot made absolute.
unsafe fn server_root_relative(cmd: *mut cmd_parms, path: *const c_char) -> Vec<u8> {
    let absolute = unsafe { ap_server_root_relative((*cmd).pool, path) };
    unsafe { c_bytes(absolute).or_else(|| c_bytes(path)) }.unwrap_or_default().to_vec()
}

/// The one-argument directives (TAKE1, and RAW_ARGS for ClickPathMachine and
/// ClickPathSecretIV, which get the rest of the line verbatim, quotes included).
pub unsafe extern "C" fn set_text(cmd: *mut cmd_parms, _dir: *mut c_void, arg: *const c_char) -> *const c_char {
    guarded(cmd, || unsafe {
        let directive = TEXT_DIRECTIVES[(*cmd).info as usize];
        let value = match directive {
            TextDirective::UaExceptionsFile | TextDirective::FriendlySessionsFile => server_root_relative(cmd, arg),
            _ => c_bytes(arg).unwrap_or_default().to_vec(),
        };
        configure(cmd, |settings| settings.apply_text(directive, &value).map_err(text))
    })
}

/// `ClickPathSecret URL`: `data:` or `file:` (relative paths from ServerRoot), read now.
pub unsafe extern "C" fn set_secret(cmd: *mut cmd_parms, _dir: *mut c_void, arg: *const c_char) -> *const c_char {
    guarded(cmd, || unsafe {
        let url = c_bytes(arg).unwrap_or_default();
        let content = match SecretSource::parse(url) {
            Ok(SecretSource::Data(content)) => Ok(content),
            Ok(SecretSource::File(path)) => {
                let path = match std::ffi::CString::new(path) {
                    Ok(path) => server_root_relative(cmd, path.as_ptr()),
                    Err(_) => Vec::new(),
                };
                std::fs::read(std::ffi::OsStr::from_encoded_bytes_unchecked(&path))
                    .map_err(|_| SecretError::CannotFetch { url: String::from_utf8_lossy(url).into_owned() })
            }
            Err(error) => Err(error),
        };
        configure(cmd, |settings| match content {
            Ok(content) => settings.set_secret(&content).map_err(text),
            Err(error) => Err(error.to_string()),
        })
    })
}

/// The lines inside a container as the Perl module rebuilt them: each child directive's first
/// word, a blank and the rest, and a newline.
unsafe fn container_text(cmd: *mut cmd_parms) -> Vec<u8> {
    let mut text = Vec::new();
    let mut child = unsafe { (*cmd).directive.as_ref() }.map_or(std::ptr::null_mut(), |directive| directive.first_child);
    while let Some(line) = unsafe { child.as_ref() } {
        text.extend_from_slice(unsafe { c_bytes(line.directive) }.unwrap_or_default());
        text.push(b' ');
        text.extend_from_slice(unsafe { c_bytes(line.args) }.unwrap_or_default());
        text.push(b'\n');
        child = line.next;
    }
    text
}

/// `<ClickPathUAExceptions>`, `<ClickPathFriendlySessions>`, `<ClickPathMachineTable>`.
pub unsafe extern "C" fn set_container(cmd: *mut cmd_parms, _dir: *mut c_void, _arg: *const c_char) -> *const c_char {
    guarded(cmd, || unsafe {
        let container = CONTAINERS[(*cmd).info as usize];
        let content = container_text(cmd);
        configure(cmd, |settings| {
            match container {
                Container::UaExceptions => settings.set_ua_exceptions(&content).map_err(text)?,
                Container::FriendlySessions => settings.friendly = crate::core::clickpath::friendly_table::FriendlyTable::parse(&content),
                Container::MachineTable => {
                    let (table, warnings) = MachineTable::parse(&content, resolve_ipv4);
                    for warning in warnings {
                        // Startup goes on; without a server the line reaches the console too.
                        log::server(std::ptr::null(), log::WARNING, &warning.to_string());
                    }
                    settings.machine_table = Some(table);
                }
            }
            Ok(())
        })
    })
}
