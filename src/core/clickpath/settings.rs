//! A server's ClickPath directives (spec §2): validation with the Perl module's error texts,
//! and the virtual-host rule: no merging. A vhost with no ClickPath directive uses the main
//! server's whole config; one with any ClickPath directive uses only its own.

use std::fmt;

use super::friendly_table::FriendlyTable;
use super::machine_table::MachineTable;
use super::perl_text::is_all_word;
use super::ready::ReadyClickPath;
use super::secret::{DEFAULT_IV, KeyError, SessionCipher, iv_from_argument, key_from_content};
use super::ua_exceptions::{BadRegex, UaExceptions};

/// The directives with one plain argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextDirective {
    SessionPrefix,
    MaxSessionAge,
    UaExceptionsFile,
    FriendlySessionsFile,
    Machine,
    SecretIv,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectiveError {
    MaxAgeNotANumber,
    MachineName,
    BadRegex(BadRegex),
    Key(KeyError),
}

impl fmt::Display for DirectiveError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::MaxAgeNotANumber => f.write_str("ERROR: Argument to ClickPathMaxSessionAge must be a number\n"),
            Self::MachineName => f.write_str("ClickPathMachine [name] -- name consist of letters, digits or _\n"),
            Self::BadRegex(error) => error.fmt(f),
            Self::Key(error) => error.fmt(f),
        }
    }
}

/// Everything one server's ClickPath directives set. Paths are as given (the embedder makes
/// them absolute).
#[derive(Debug, Default)]
pub struct ClickPathSettings {
    /// Without a (non-empty) prefix the module is off for the server.
    pub prefix: Option<Vec<u8>>,
    /// Seconds; 0 is no limit.
    pub max_age: u64,
    pub ua_exceptions: UaExceptions,
    pub ua_exceptions_file: Option<Vec<u8>>,
    pub friendly: FriendlyTable,
    pub friendly_file: Option<Vec<u8>>,
    /// `ClickPathMachine`, even empty, replaces the machine table's and the address's name.
    pub machine: Option<Vec<u8>>,
    pub machine_table: Option<MachineTable>,
    pub secret_key: Option<Vec<u8>>,
    pub secret_iv: Option<[u8; 8]>,
}

impl ClickPathSettings {
    pub fn apply_text(&mut self, directive: TextDirective, arg: &[u8]) -> Result<(), DirectiveError> {
        match directive {
            TextDirective::SessionPrefix => self.prefix = (!arg.is_empty()).then(|| arg.to_vec()),
            TextDirective::MaxSessionAge => {
                if arg.is_empty() || !arg.iter().all(u8::is_ascii_digit) {
                    return Err(DirectiveError::MaxAgeNotANumber);
                }
                self.max_age = arg.iter().fold(0u64, |n, &digit| n.saturating_mul(10).saturating_add(u64::from(digit - b'0')));
            }
            TextDirective::UaExceptionsFile => self.ua_exceptions_file = Some(arg.to_vec()),
            TextDirective::FriendlySessionsFile => self.friendly_file = Some(arg.to_vec()),
            TextDirective::Machine => {
                if !is_all_word(arg) {
                    return Err(DirectiveError::MachineName);
                }
                self.machine = Some(arg.to_vec());
            }
            TextDirective::SecretIv => self.secret_iv = Some(iv_from_argument(arg)),
        }
        Ok(())
    }

    pub fn set_ua_exceptions(&mut self, container_text: &[u8]) -> Result<(), DirectiveError> {
        self.ua_exceptions = UaExceptions::parse(container_text).map_err(DirectiveError::BadRegex)?;
        Ok(())
    }

    /// The content a `ClickPathSecret` URL gave: refused when the key it makes cannot key
    /// Blowfish (quirk 13, fixed: the Perl module started and then failed every new session).
    pub fn set_secret(&mut self, content: &[u8]) -> Result<(), DirectiveError> {
        let key = key_from_content(content);
        SessionCipher::new(&key, DEFAULT_IV).map_err(DirectiveError::Key)?;
        self.secret_key = Some(key);
        Ok(())
    }

    /// The cipher IDs are made and read with, if a secret is configured.
    pub fn cipher(&self) -> Option<SessionCipher> {
        let key = self.secret_key.as_ref()?;
        Some(SessionCipher::new(key, self.secret_iv.unwrap_or(DEFAULT_IV)).expect("set_secret checked the key"))
    }
}

/// A server's ClickPath config through its life: `Unset` until a ClickPath directive appears
/// in it, `Configured` while httpd reads the config, `Ready` once it has read it all.
#[derive(Debug, Default)]
pub enum ServerClickPath {
    #[default]
    Unset,
    Configured(ClickPathSettings),
    Ready(Box<ReadyClickPath>),
}

impl ServerClickPath {
    /// The settings a directive changes: the first directive makes the server `Configured`.
    pub fn configure(&mut self) -> &mut ClickPathSettings {
        if let Self::Unset = self {
            *self = Self::Configured(ClickPathSettings::default());
        }
        match self {
            Self::Configured(settings) => settings,
            Self::Unset | Self::Ready(_) => unreachable!("directives are read before the config is made ready"),
        }
    }

    /// After the whole config is read: builds what requests use.
    pub fn make_ready(&mut self) {
        if let Self::Configured(settings) = std::mem::take(self) {
            *self = Self::Ready(Box::new(ReadyClickPath::new(settings)));
        }
    }

    /// What requests use, if the server has its own (or inherited) ClickPath config.
    pub fn ready(&self) -> Option<&ReadyClickPath> {
        match self {
            Self::Ready(ready) => Some(ready),
            _ => None,
        }
    }

    /// The vhost rule: the vhost's own config if it has any ClickPath directive, else the main
    /// server's as a whole.
    pub fn effective<'a>(main: &'a Self, vhost: &'a Self) -> &'a Self {
        match vhost {
            Self::Unset => main,
            Self::Configured(_) | Self::Ready(_) => vhost,
        }
    }

    /// The settings, if the module is on (a prefix is configured).
    pub fn active(&self) -> Option<&ClickPathSettings> {
        let settings = match self {
            Self::Unset => return None,
            Self::Configured(settings) => settings,
            Self::Ready(ready) => &ready.settings,
        };
        settings.prefix.is_some().then_some(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(directives: &[(TextDirective, &str)]) -> ServerClickPath {
        let mut config = ServerClickPath::Unset;
        for (directive, arg) in directives {
            config.configure().apply_text(*directive, arg.as_bytes()).unwrap();
        }
        config
    }

    #[test]
    fn exact_error_texts() {
        let mut settings = ClickPathSettings::default();
        for bad in ["", "12a", "-1", " 5", "1.5"] {
            assert_eq!(
                settings.apply_text(TextDirective::MaxSessionAge, bad.as_bytes()).unwrap_err().to_string(),
                "ERROR: Argument to ClickPathMaxSessionAge must be a number\n"
            );
        }
        for bad in ["\"quoted\"", "a b", "a.b", "a-b"] {
            assert_eq!(
                settings.apply_text(TextDirective::Machine, bad.as_bytes()).unwrap_err().to_string(),
                "ClickPathMachine [name] -- name consist of letters, digits or _\n"
            );
        }
    }

    #[test]
    fn values_are_stored() {
        let mut settings = ClickPathSettings::default();
        settings.apply_text(TextDirective::MaxSessionAge, b"3600").unwrap();
        settings.apply_text(TextDirective::MaxSessionAge, b"99999999999999999999999").unwrap();
        assert_eq!(settings.max_age, u64::MAX, "huge ages mean no practical limit");
        settings.apply_text(TextDirective::Machine, b"").unwrap();
        assert_eq!(settings.machine, Some(vec![]), "an empty machine name is allowed");
        settings.apply_text(TextDirective::Machine, b"web_1").unwrap();
        assert_eq!(settings.machine.as_deref(), Some(&b"web_1"[..]));
        settings.apply_text(TextDirective::SessionPrefix, b"-S:").unwrap();
        assert_eq!(settings.prefix.as_deref(), Some(&b"-S:"[..]));
        settings.apply_text(TextDirective::SessionPrefix, b"").unwrap();
        assert_eq!(settings.prefix, None, "an empty prefix turns the module off");
    }

    #[test]
    fn secrets_and_ivs() {
        let mut settings = ClickPathSettings::default();
        assert!(settings.cipher().is_none());
        let error = settings.set_secret(b"binary:short").unwrap_err();
        assert!(error.to_string().starts_with("ERROR: ClickPathSecret: the key is 5 bytes long"), "{error}");
        settings.set_secret(b"So long and thanks for all the fish").unwrap();
        settings.apply_text(TextDirective::SecretIv, b"\"iv\"").unwrap();
        assert_eq!(settings.secret_iv, Some(iv_from_argument(b"\"iv\"")));
        assert!(settings.cipher().is_some());
    }

    #[test]
    fn a_bad_ua_regex_fails_the_container() {
        let mut settings = ClickPathSettings::default();
        assert!(matches!(settings.set_ua_exceptions(b"bot (").unwrap_err(), DirectiveError::BadRegex(_)));
        settings.set_ua_exceptions(b"bot Bot\n").unwrap();
        assert_eq!(settings.ua_exceptions.crawler_name(b"ABot"), Some(&b"bot"[..]));
    }

    #[test]
    fn vhosts_do_not_merge() {
        let main = configured(&[(TextDirective::SessionPrefix, "-S:"), (TextDirective::MaxSessionAge, "60")]);
        let silent = ServerClickPath::Unset;
        let own = configured(&[(TextDirective::MaxSessionAge, "10")]);
        let effective = ServerClickPath::effective(&main, &silent);
        assert_eq!(effective.active().unwrap().max_age, 60, "a vhost without ClickPath directives uses the main server's");
        let effective = ServerClickPath::effective(&main, &own);
        assert!(effective.active().is_none(), "a vhost with only a max age has no prefix: no sessions");
        assert!(ServerClickPath::Unset.active().is_none());
    }

    #[test]
    fn the_lifecycle() {
        let mut config = configured(&[(TextDirective::SessionPrefix, "-S:")]);
        assert!(config.ready().is_none());
        config.make_ready();
        assert_eq!(config.ready().unwrap().settings.prefix.as_deref(), Some(&b"-S:"[..]));
        let mut unset = ServerClickPath::Unset;
        unset.make_ready();
        assert!(matches!(unset, ServerClickPath::Unset), "a server without directives stays unset");
    }

    #[test]
    fn the_last_directive_wins() {
        let config = configured(&[(TextDirective::SessionPrefix, "-A:"), (TextDirective::SessionPrefix, "-B:")]);
        assert_eq!(config.active().unwrap().prefix.as_deref(), Some(&b"-B:"[..]));
    }
}
