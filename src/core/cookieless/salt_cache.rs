//! `CookielessSaltCache provider[:arguments]` (server config only) and the salt cache's
//! lifecycle from configuration to use.

use std::fmt;

/// httpd's own default: `shmcb`, its file under DefaultRuntimeDir.
pub const DEFAULT_PROVIDER: &str = "shmcb";

/// The directive's argument, split as mod_ssl's `SSLSessionCache` splits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaltCacheSpec<'a> {
    pub provider: &'a [u8],
    /// Handed to the provider's `create` as they are; `None` asks for its defaults.
    pub arguments: Option<&'a [u8]>,
}

impl<'a> SaltCacheSpec<'a> {
    pub const DEFAULT: SaltCacheSpec<'static> = SaltCacheSpec { provider: DEFAULT_PROVIDER.as_bytes(), arguments: None };

    pub fn parse(arg: &'a [u8]) -> Result<Self, SaltCacheError> {
        let given = || String::from_utf8_lossy(arg).into_owned();
        let (provider, arguments) = match arg.iter().position(|&byte| byte == b':') {
            Some(colon) => (&arg[..colon], Some(&arg[colon + 1..])),
            None => (arg, None),
        };
        if provider.is_empty() || !provider.iter().all(|&byte| byte.is_ascii_alphanumeric() || byte == b'_') {
            return Err(SaltCacheError::BadProviderName { given: given() });
        }
        if arguments.is_some_and(<[u8]>::is_empty) {
            return Err(SaltCacheError::EmptyArguments { given: given() });
        }
        Ok(Self { provider, arguments })
    }

    pub fn provider_name(&self) -> String {
        String::from_utf8_lossy(self.provider).into_owned()
    }
}

/// Why the salt cache cannot be set up: each is a startup error (`apache2 -t` reports it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaltCacheError {
    BadProviderName { given: String },
    EmptyArguments { given: String },
    NotInVirtualHost,
    /// No module registered this provider: its mod_socache_* is not loaded (before this line).
    ProviderNotLoaded { provider: String, explicit: bool },
    /// The provider's `create` refused the arguments: its own message.
    ProviderRefused { provider: String, message: String },
}

impl fmt::Display for SaltCacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadProviderName { given } => write!(
                f,
                "CookielessSaltCache \"{given}\": give a socache provider (shmcb, memcache, redis, dbm...), optionally \
                 followed by ':' and its arguments"
            ),
            Self::EmptyArguments { given } => {
                write!(f, "CookielessSaltCache \"{given}\": nothing after ':'; leave the ':' out to use the provider's defaults")
            }
            Self::NotInVirtualHost => f.write_str(
                "CookielessSaltCache is allowed only in the main server config: one salt serves every virtual host",
            ),
            Self::ProviderNotLoaded { provider, explicit: true } => write!(
                f,
                "CookielessSaltCache: the socache provider \"{provider}\" is not available; load mod_socache_{provider} \
                 (a2enmod socache_{provider}) before this line"
            ),
            Self::ProviderNotLoaded { provider, explicit: false } => write!(
                f,
                "CookielessTracking needs a salt cache: load mod_socache_{provider} (a2enmod socache_{provider}) for the \
                 default, or set CookielessSaltCache to another provider"
            ),
            Self::ProviderRefused { provider, message } => {
                write!(f, "CookielessSaltCache: the {provider} provider refused its arguments: {message}")
            }
        }
    }
}

impl std::error::Error for SaltCacheError {}

/// The salt cache from configuration to use. `C` is a created cache, `R` one that is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaltCacheLifecycle<C, R> {
    /// Neither `CookielessTracking on` nor `CookielessSaltCache` in the server config: no cache.
    Unset,
    /// `CookielessTracking on` in the server config, no `CookielessSaltCache` (yet): the
    /// default provider is set up once the configuration has been read.
    Wanted,
    /// `CookielessSaltCache` made a cache (or the default was made for `Wanted`).
    Configured(C),
    /// Initialised after the configuration was read: requests can use it.
    Ready(R),
}

impl<C, R> SaltCacheLifecycle<C, R> {
    /// `CookielessTracking on` was seen in the server config.
    pub fn want(&mut self) {
        if matches!(self, Self::Unset) {
            *self = Self::Wanted;
        }
    }

    /// `CookielessSaltCache` made `cache` (a later directive replaces an earlier one).
    pub fn configure(&mut self, cache: C) {
        *self = Self::Configured(cache);
    }

    /// Whether the default provider must be set up now that the configuration is read.
    pub fn needs_default(&self) -> bool {
        matches!(self, Self::Wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_at_the_first_colon() {
        assert_eq!(SaltCacheSpec::parse(b"shmcb"), Ok(SaltCacheSpec { provider: b"shmcb", arguments: None }));
        assert_eq!(
            SaltCacheSpec::parse(b"memcache:10.0.0.1:11211,10.0.0.2:11211"),
            Ok(SaltCacheSpec { provider: b"memcache", arguments: Some(b"10.0.0.1:11211,10.0.0.2:11211") })
        );
        assert_eq!(
            SaltCacheSpec::parse(b"shmcb:/run/apache2/salt(65536)"),
            Ok(SaltCacheSpec { provider: b"shmcb", arguments: Some(b"/run/apache2/salt(65536)") })
        );
        assert_eq!(SaltCacheSpec::parse(b"redis:127.0.0.1:6379").unwrap().provider_name(), "redis");
        assert_eq!(SaltCacheSpec::DEFAULT.provider, b"shmcb");
    }

    #[test]
    fn malformed_arguments_are_refused_with_the_admins_message() {
        for bad in [&b""[..], b":x", b"mem cache", b"shm/cb", b"-x"] {
            assert!(matches!(SaltCacheSpec::parse(bad), Err(SaltCacheError::BadProviderName { .. })), "{bad:?}");
        }
        assert_eq!(
            SaltCacheSpec::parse(b"memcache:").unwrap_err().to_string(),
            "CookielessSaltCache \"memcache:\": nothing after ':'; leave the ':' out to use the provider's defaults"
        );
        assert_eq!(
            SaltCacheSpec::parse(b"a b").unwrap_err().to_string(),
            "CookielessSaltCache \"a b\": give a socache provider (shmcb, memcache, redis, dbm...), optionally followed \
             by ':' and its arguments"
        );
    }

    #[test]
    fn messages_for_providers() {
        let missing = SaltCacheError::ProviderNotLoaded { provider: "memcache".into(), explicit: true };
        assert_eq!(
            missing.to_string(),
            "CookielessSaltCache: the socache provider \"memcache\" is not available; load mod_socache_memcache \
             (a2enmod socache_memcache) before this line"
        );
        let default_missing = SaltCacheError::ProviderNotLoaded { provider: "shmcb".into(), explicit: false };
        assert!(default_missing.to_string().starts_with("CookielessTracking needs a salt cache: load mod_socache_shmcb"));
        let refused = SaltCacheError::ProviderRefused { provider: "shmcb".into(), message: "Invalid cache file path x".into() };
        assert_eq!(refused.to_string(), "CookielessSaltCache: the shmcb provider refused its arguments: Invalid cache file path x");
        assert!(SaltCacheError::NotInVirtualHost.to_string().contains("main server config"));
    }

    #[test]
    fn lifecycle() {
        let mut cache: SaltCacheLifecycle<u8, u16> = SaltCacheLifecycle::Unset;
        assert!(!cache.needs_default());
        cache.want();
        assert_eq!(cache, SaltCacheLifecycle::Wanted);
        assert!(cache.needs_default());
        cache.configure(1);
        cache.want();
        assert_eq!(cache, SaltCacheLifecycle::Configured(1));
        assert!(!cache.needs_default());
        cache.configure(2);
        assert_eq!(cache, SaltCacheLifecycle::Configured(2));
    }
}
