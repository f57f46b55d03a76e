//! The translation phase's decision (spec §4, §5, §8): from plain facts about a main request
//! to what to change: the path, the Referer, the environment, a log line and the filter's mode.
//! Sub-requests and internal redirects only copy their parent's variables (`INHERITED`); the
//! embedder does that without asking here.

use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;

use super::friendly_table::FriendlyTable;
use super::machine_table::MachineTable;
use super::secret::SessionCipher;
use super::session_id::{self, BodyFields, FriendlyPart, NewId};
use super::session_url::{Slashes, find_session, strip_referer};
use super::ua_exceptions::UaExceptions;

/// What a server's ClickPath config gives one request (the tables already chosen between file
/// and container).
#[derive(Clone, Copy, Debug)]
pub struct ActiveConfig<'c> {
    pub prefix: &'c [u8],
    pub max_age: u64,
    pub ua_exceptions: &'c UaExceptions,
    pub friendly: &'c FriendlyTable,
    pub machine: Option<&'c [u8]>,
    pub machine_table: Option<&'c MachineTable>,
    pub cipher: Option<&'c SessionCipher>,
}

#[derive(Clone, Copy, Debug)]
pub struct RequestFacts<'r> {
    /// `r->uri`: decoded and normalised.
    pub path: &'r [u8],
    /// `r->args`.
    pub args: Option<&'r [u8]>,
    pub referer: Option<&'r [u8]>,
    pub user_agent: Option<&'r [u8]>,
    /// Seconds since the epoch.
    pub request_time: i64,
    /// The connection's local address as text.
    pub local_ip: &'r [u8],
    pub pid: u32,
    pub conn_id: u32,
}

/// What a variable of `r->subprocess_env` becomes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Env<'a> {
    #[default]
    Untouched,
    Unset,
    Set(Cow<'a, [u8]>),
    Number(i64),
}

impl<'a> Env<'a> {
    fn borrowed(bytes: &'a [u8]) -> Self {
        Self::Set(Cow::Borrowed(bytes))
    }
}

/// The variables of spec §5, in the order they are applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionEnv<'a> {
    pub session: Env<'a>,
    pub cgi_session: Env<'a>,
    pub session_start: Env<'a>,
    pub session_age: Env<'a>,
    pub remote_session: Env<'a>,
    pub remote_session_host: Env<'a>,
    pub expired_session: Env<'a>,
    pub invalid_session: Env<'a>,
    pub machine_name: Env<'a>,
    pub machine_store: Env<'a>,
}

impl<'a> SessionEnv<'a> {
    /// Names and values, for the embedder to apply in order.
    pub fn entries(&self) -> [(&'static CStr, &Env<'a>); 10] {
        [
            (c"SESSION", &self.session),
            (c"CGI_SESSION", &self.cgi_session),
            (c"SESSION_START", &self.session_start),
            (c"SESSION_AGE", &self.session_age),
            (c"REMOTE_SESSION", &self.remote_session),
            (c"REMOTE_SESSION_HOST", &self.remote_session_host),
            (c"EXPIRED_SESSION", &self.expired_session),
            (c"INVALID_SESSION", &self.invalid_session),
            (c"ClickPathMachineName", &self.machine_name),
            (c"ClickPathMachineStore", &self.machine_store),
        ]
    }

    fn unset_session(&mut self) {
        self.session = Env::Unset;
        self.cgi_session = Env::Unset;
        self.remote_session = Env::Unset;
        self.remote_session_host = Env::Unset;
    }
}

/// What a sub-request or internal redirect copies from its parent when the parent has a
/// `SESSION` (spec §4 step 1): set if the parent has it, else unset; `ClickPathMachineStore`
/// only when non-empty.
pub const INHERITED: [&CStr; 7] =
    [c"SESSION", c"CGI_SESSION", c"SESSION_START", c"SESSION_AGE", c"REMOTE_SESSION", c"REMOTE_SESSION_HOST", c"ClickPathMachineName"];
pub const INHERITED_IF_NON_EMPTY: &CStr = c"ClickPathMachineStore";

/// The output filter's job for the response (the Perl module's flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterMode {
    /// Crawlers: nothing to rewrite.
    Off,
    /// Flag 0: the request came with a valid session.
    Existing,
    /// Flag 1: a new session for a request without one.
    NewSession,
    /// Flag 2: a new session replacing an invalid, expired or foreign one in the path.
    ReplacedSession,
}

/// Request-level notices (spec §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice<'a> {
    CrcFailed,
    UnknownMachine(&'a [u8]),
}

impl fmt::Display for Notice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::CrcFailed => f.write_str("Caught invalid session: CRC checksum failed"),
            Self::UnknownMachine(name) => write!(f, "Caught invalid session: Unknown Machine name '{}'", String::from_utf8_lossy(name)),
        }
    }
}

/// The server-level error when a farm member is not in its own table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannotFindMyself<'a>(pub &'a [u8]);

impl fmt::Display for CannotFindMyself<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Cannot find myself ({}) in ClickPathMachineTable", String::from_utf8_lossy(self.0))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translation<'a> {
    /// The path (and `?args`) to parse as the request's new URI, when a session was stripped.
    pub new_uri: Option<Vec<u8>>,
    /// The Referer's new value, when a session was removed from it. An absent Referer stays
    /// absent (quirk 2, fixed).
    pub new_referer: Option<Vec<u8>>,
    pub env: SessionEnv<'a>,
    pub notice: Option<Notice<'a>>,
    pub server_error: Option<CannotFindMyself<'a>>,
    pub filter: FilterMode,
}

/// Decides for a main request. `scratch(len)` gives room for the decoded ID (`len` bytes), asked
/// for only when the path has a session; `next_counter` is called once per minted ID.
pub fn translate<'a>(
    config: &ActiveConfig<'a>,
    request: &RequestFacts<'a>,
    scratch: impl FnOnce(usize) -> &'a mut [u8],
    next_counter: impl FnOnce() -> u16,
) -> Translation<'a> {
    let mut translation = Translation {
        new_uri: None,
        new_referer: None,
        env: SessionEnv::default(),
        notice: None,
        server_error: None,
        filter: FilterMode::NewSession,
    };
    let found = find_session(request.path, config.prefix);
    let slashes = if found.is_some() { Slashes::AnyNumber } else { Slashes::One };
    translation.new_referer = request
        .referer
        .and_then(|referer| strip_referer(referer, config.prefix, slashes))
        .map(|(origin, rest)| [origin, rest].concat());
    if let Some(found) = found {
        translation.new_uri = Some(uri_after_session(found.rest, request.args));
        translation.env.session = Env::borrowed(found.id);
        translation.env.cgi_session = Env::borrowed(found.session_path);
        if validate(config, request, found.id, scratch(found.id.len()), &mut translation) {
            return translation;
        }
        translation.filter = FilterMode::ReplacedSession;
    }
    // Only a new session reads the Referer again (for a friendly session): the copy is made here.
    let stripped_referer = translation.new_referer.clone().map(Cow::Owned).or(request.referer.map(Cow::Borrowed));
    new_session(config, request, stripped_referer.as_deref(), next_counter, &mut translation);
    translation
}

/// Keeps the host and port (quirk 3, fixed): only the path and query are parsed again.
fn uri_after_session(rest: &[u8], args: Option<&[u8]>) -> Vec<u8> {
    match args.filter(|args| !args.is_empty()) {
        Some(args) => [rest, b"?", args].concat(),
        None => rest.to_vec(),
    }
}

/// Step 4. `true` when the session is valid and the decision is complete.
fn validate<'a>(config: &ActiveConfig<'a>, request: &RequestFacts<'a>, id: &'a [u8], scratch: &'a mut [u8], translation: &mut Translation<'a>) -> bool {
    let decoded = session_id::decode(id, config.cipher, scratch);
    let env = &mut translation.env;
    let friendly_host = decoded.friendly_name.and_then(|name| config.friendly.host_of(name));
    match (friendly_host, decoded.friendly_text) {
        (Some(host), text) => {
            env.remote_session = Env::borrowed(text.unwrap_or_default());
            env.remote_session_host = Env::Set(Cow::Owned(host.to_vec()));
        }
        (None, _) => {
            env.remote_session = Env::Unset;
            env.remote_session_host = Env::Unset;
        }
    }
    if let Some(table) = config.machine_table {
        match table.store_of(decoded.machine) {
            Some(store) => {
                env.machine_name = Env::borrowed(decoded.machine);
                if !store.is_empty() {
                    env.machine_store = Env::Set(Cow::Owned(store.to_vec()));
                }
            }
            None => {
                translation.notice = Some(Notice::UnknownMachine(decoded.machine));
                env.invalid_session = Env::borrowed(id);
                env.unset_session();
                return false;
            }
        }
    }
    let age = request.request_time - i64::from(decoded.body.time.unwrap_or(0));
    let too_old = config.max_age > 0 && u64::try_from(age).is_ok_and(|age| age > config.max_age);
    if !decoded.body.checksum_ok || too_old || age < 0 {
        if !decoded.body.checksum_ok {
            translation.notice = Some(Notice::CrcFailed);
        } else {
            env.expired_session = Env::borrowed(id);
        }
        env.unset_session();
        env.machine_name = Env::Unset;
        env.machine_store = Env::Unset;
        return false;
    }
    env.session_start = decoded.body.time.map_or(Env::Unset, |time| Env::Number(i64::from(time)));
    env.session_age = Env::Number(age);
    translation.filter = FilterMode::Existing;
    true
}

/// Steps 6 to 9.
fn new_session<'a>(
    config: &ActiveConfig<'a>,
    request: &RequestFacts<'a>,
    referer: Option<&[u8]>,
    next_counter: impl FnOnce() -> u16,
    translation: &mut Translation<'a>,
) {
    let env = &mut translation.env;
    if let Some(name) = config.ua_exceptions.crawler_name(request.user_agent.unwrap_or_default()) {
        env.session = Env::borrowed(name);
        env.session_start = Env::Number(request.request_time);
        env.session_age = Env::Number(0);
        env.cgi_session = Env::Unset;
        env.remote_session = Env::Unset;
        env.remote_session_host = Env::Unset;
        translation.filter = FilterMode::Off;
        return;
    }
    let friendly = referer.and_then(|referer| config.friendly.session_from_referer(referer));
    match &friendly {
        Some(session) => {
            env.remote_session = Env::Set(Cow::Owned(session.text.clone()));
            env.remote_session_host = Env::Set(Cow::Owned(session.host.to_vec()));
        }
        None => {
            env.remote_session = Env::Unset;
            env.remote_session_host = Env::Unset;
        }
    }
    let mut ip_machine = [0u8; 6];
    let machine: &[u8] = match (config.machine, config.machine_table.and_then(|table| table.machine_at(request.local_ip))) {
        (Some(name), _) => name,
        (None, Some((name, store))) => {
            env.machine_name = Env::Set(Cow::Owned(name.to_vec()));
            if !store.is_empty() {
                env.machine_store = Env::Set(Cow::Owned(store.to_vec()));
            }
            name
        }
        (None, None) => {
            if config.machine_table.is_some() {
                translation.server_error = Some(CannotFindMyself(request.local_ip));
            }
            let len = session_id::machine_from_ip(request.local_ip, &mut ip_machine);
            &ip_machine[..len]
        }
    };
    let new = NewId {
        machine,
        fields: BodyFields { time: request.request_time as u32, pid: request.pid, counter: next_counter(), conn_id: request.conn_id },
        friendly: friendly.as_ref().map(|session| FriendlyPart { name: session.name, text: &session.text }),
    };
    let mut session_path = vec![0; 1 + config.prefix.len() + new.max_len()];
    session_path[0] = b'/';
    session_path[1..=config.prefix.len()].copy_from_slice(config.prefix);
    let id_start = 1 + config.prefix.len();
    let id_len = new.encode_into(config.cipher, &mut session_path[id_start..]);
    session_path.truncate(id_start + id_len);
    env.session = Env::Set(Cow::Owned(session_path[id_start..].to_vec()));
    env.cgi_session = Env::Set(Cow::Owned(session_path));
    env.session_start = Env::Number(request.request_time);
    env.session_age = Env::Number(0);
}

#[cfg(test)]
mod tests;
