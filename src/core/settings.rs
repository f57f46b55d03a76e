//! Per-directory settings: directive validation, defaults and merging.
//!
//! Every field is optional so that a section setting only some directives inherits the rest
//! from its parent (stock mod_usertrack has no merge function and resets them instead).
//! `S` is how the embedding stores strings: pool strings in httpd, byte slices in tests.

use std::fmt;

use super::expires::{browser_cap_warning, parse_expires};
use super::id_format::IdFormat;
use super::signing::KeyRing;
use super::token::is_token;

pub const DEFAULT_COOKIE_NAME: &[u8] = b"Apache";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Netscape,
    /// RFC 2109: `max-age` instead of `expires`.
    Cookie,
    /// RFC 2965: `Set-Cookie2`, `max-age`, and `version=1` after a domain.
    Cookie2,
}

impl Style {
    pub fn parse(arg: &[u8]) -> Result<Self, String> {
        let is = |keyword: &str| arg.eq_ignore_ascii_case(keyword.as_bytes());
        if is("Netscape") {
            Ok(Self::Netscape)
        } else if is("Cookie") || is("RFC2109") {
            Ok(Self::Cookie)
        } else if is("Cookie2") || is("RFC2965") {
            Ok(Self::Cookie2)
        } else {
            Err(format!("Invalid CookieStyle keyword: '{}'", String::from_utf8_lossy(arg)))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

impl SameSite {
    pub fn parse(arg: &[u8]) -> Result<Self, String> {
        [Self::Strict, Self::Lax, Self::None]
            .into_iter()
            .find(|value| arg.eq_ignore_ascii_case(value.keyword().as_bytes()))
            .ok_or_else(|| "CookieSameSite accepts 'Strict', 'Lax', or 'None'".to_string())
    }

    fn keyword(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }

    pub fn attribute(self) -> &'static [u8] {
        match self {
            Self::Strict => b"SameSite=Strict",
            Self::Lax => b"SameSite=Lax",
            Self::None => b"SameSite=None",
        }
    }
}

pub fn validate_cookie_name(name: &[u8]) -> Result<(), String> {
    if is_token(name) {
        return Ok(());
    }
    Err(format!(
        "CookieName \"{}\" is not a valid cookie name: use only letters, digits and !#$%&'*+-.^_`|~",
        String::from_utf8_lossy(name)
    ))
}

pub fn validate_cookie_domain(domain: &[u8]) -> Result<(), String> {
    match domain {
        [] => Err("CookieDomain values may not be null".into()),
        [first, ..] if *first != b'.' => Err("CookieDomain values must begin with a dot".into()),
        [_, rest @ ..] if !rest.contains(&b'.') => {
            Err("CookieDomain values must contain at least one embedded dot".into())
        }
        _ if domain.iter().any(|&b| b == b' ' || b == b';' || b == b',' || b.is_ascii_control()) => {
            Err(format!(
                "CookieDomain \"{}\" may not contain spaces, ';', ',' or control characters",
                String::from_utf8_lossy(domain)
            ))
        }
        _ => Ok(()),
    }
}

/// Why a `CookiePath` value is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CookiePathError {
    NotAbsolute(String),
    BreaksTheHeader(String),
}

impl fmt::Display for CookiePathError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::NotAbsolute(path) => write!(f, "CookiePath \"{path}\" must start with '/'"),
            Self::BreaksTheHeader(path) => {
                write!(f, "CookiePath \"{path}\" may not contain whitespace, ';', ',' or control characters")
            }
        }
    }
}

/// A path for the cookie's `path=` attribute: absolute, and nothing that would end the
/// attribute or the header early.
pub fn validate_cookie_path(path: &[u8]) -> Result<(), CookiePathError> {
    let shown = || String::from_utf8_lossy(path).into_owned();
    if path.first() != Some(&b'/') {
        return Err(CookiePathError::NotAbsolute(shown()));
    }
    if path.iter().any(|&b| b.is_ascii_whitespace() || b == b';' || b == b',' || b.is_ascii_control()) {
        return Err(CookiePathError::BreaksTheHeader(shown()));
    }
    Ok(())
}

/// Directives taking one word, as named in httpd's command table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextDirective {
    Expires,
    Domain,
    Style,
    Name,
    SameSite,
    IdFormat,
    Path,
}

impl TextDirective {
    /// Every one, in the order of the module's command table (`src/ffi/directives.rs`).
    pub const ALL: [Self; 7] =
        [Self::Expires, Self::Domain, Self::Style, Self::Name, Self::SameSite, Self::IdFormat, Self::Path];
}

/// On/Off directives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagDirective {
    Tracking,
    Secure,
    HttpOnly,
    Inject,
    Renew,
    Validate,
    SignAcceptUnsigned,
    /// `CookielessTracking`: a cookieless ID where `CookieTracking` is off.
    Cookieless,
}

impl FlagDirective {
    /// Every one, in the order of the module's command table (`src/ffi/directives.rs`).
    pub const ALL: [Self; 8] = [
        Self::Tracking,
        Self::Secure,
        Self::HttpOnly,
        Self::Inject,
        Self::Renew,
        Self::Validate,
        Self::SignAcceptUnsigned,
        Self::Cookieless,
    ];
}

/// A key ring read at config time, compared by identity: two scopes sign alike only if they
/// name the same loaded file.
#[derive(Clone, Copy, Debug)]
pub struct SigningKeys(pub &'static KeyRing);

impl PartialEq for SigningKeys {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for SigningKeys {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirSettings<S> {
    pub tracking: Option<bool>,
    pub name: Option<S>,
    pub domain: Option<S>,
    pub expires: Option<u32>,
    pub style: Option<Style>,
    pub same_site: Option<SameSite>,
    pub secure: Option<bool>,
    pub http_only: Option<bool>,
    pub id_format: Option<IdFormat>,
    pub inject: Option<bool>,
    pub renew: Option<bool>,
    pub path: Option<S>,
    pub validate: Option<bool>,
    pub sign_keys: Option<SigningKeys>,
    pub accept_unsigned: Option<bool>,
    pub cookieless: Option<bool>,
}

impl<S: Copy> DirSettings<S> {
    pub const UNSET: Self = Self {
        tracking: None,
        name: None,
        domain: None,
        expires: None,
        style: None,
        same_site: None,
        secure: None,
        http_only: None,
        id_format: None,
        inject: None,
        renew: None,
        path: None,
        validate: None,
        sign_keys: None,
        accept_unsigned: None,
        cookieless: None,
    };

    /// `self` is the enclosing scope; whatever `inner` sets wins.
    pub fn merged_with(&self, inner: &Self) -> Self {
        Self {
            tracking: inner.tracking.or(self.tracking),
            name: inner.name.or(self.name),
            domain: inner.domain.or(self.domain),
            expires: inner.expires.or(self.expires),
            style: inner.style.or(self.style),
            same_site: inner.same_site.or(self.same_site),
            secure: inner.secure.or(self.secure),
            http_only: inner.http_only.or(self.http_only),
            id_format: inner.id_format.or(self.id_format),
            inject: inner.inject.or(self.inject),
            renew: inner.renew.or(self.renew),
            path: inner.path.or(self.path),
            validate: inner.validate.or(self.validate),
            sign_keys: inner.sign_keys.or(self.sign_keys),
            accept_unsigned: inner.accept_unsigned.or(self.accept_unsigned),
            cookieless: inner.cookieless.or(self.cookieless),
        }
    }

    /// True when the scope sets no directive at all.
    pub fn is_unset(&self) -> bool {
        let Self {
            tracking,
            name,
            domain,
            expires,
            style,
            same_site,
            secure,
            http_only,
            id_format,
            inject,
            renew,
            path,
            validate,
            sign_keys,
            accept_unsigned,
            cookieless,
        } = self;
        tracking.is_none()
            && name.is_none()
            && domain.is_none()
            && expires.is_none()
            && style.is_none()
            && same_site.is_none()
            && secure.is_none()
            && http_only.is_none()
            && id_format.is_none()
            && inject.is_none()
            && renew.is_none()
            && path.is_none()
            && validate.is_none()
            && sign_keys.is_none()
            && accept_unsigned.is_none()
            && cookieless.is_none()
    }

    pub fn tracking_enabled(&self) -> bool {
        self.tracking == Some(true)
    }

    /// A cookieless ID is given where `CookielessTracking` is on and `CookieTracking` is not:
    /// where the cookie is on, nothing changes.
    pub fn cookieless_enabled(&self) -> bool {
        self.cookieless == Some(true) && !self.tracking_enabled()
    }

    /// Validates and stores one directive's argument. `keep` copies the argument into the
    /// embedding's long-lived storage. Ok carries an optional startup warning.
    pub fn apply_text(
        &mut self,
        directive: TextDirective,
        arg: &[u8],
        keep: impl FnOnce(&[u8]) -> S,
    ) -> Result<Option<String>, String> {
        match directive {
            TextDirective::Expires => {
                let seconds = parse_expires(arg).map_err(|error| error.message(arg))?;
                self.expires = Some(seconds);
                return Ok(browser_cap_warning(arg, seconds));
            }
            TextDirective::Domain => {
                validate_cookie_domain(arg)?;
                self.domain = Some(keep(arg));
            }
            TextDirective::Style => self.style = Some(Style::parse(arg)?),
            TextDirective::Name => {
                validate_cookie_name(arg)?;
                self.name = Some(keep(arg));
            }
            TextDirective::SameSite => self.same_site = Some(SameSite::parse(arg)?),
            TextDirective::IdFormat => self.id_format = Some(IdFormat::parse(arg).map_err(|error| error.to_string())?),
            TextDirective::Path => {
                validate_cookie_path(arg).map_err(|error| error.to_string())?;
                self.path = Some(keep(arg));
            }
        }
        Ok(None)
    }

    pub fn apply_flag(&mut self, directive: FlagDirective, on: bool) {
        let field = match directive {
            FlagDirective::Tracking => &mut self.tracking,
            FlagDirective::Secure => &mut self.secure,
            FlagDirective::HttpOnly => &mut self.http_only,
            FlagDirective::Inject => &mut self.inject,
            FlagDirective::Renew => &mut self.renew,
            FlagDirective::Validate => &mut self.validate,
            FlagDirective::SignAcceptUnsigned => &mut self.accept_unsigned,
            FlagDirective::Cookieless => &mut self.cookieless,
        };
        *field = Some(on);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Settings = DirSettings<&'static [u8]>;

    fn leak(arg: &[u8]) -> &'static [u8] {
        Box::leak(arg.to_vec().into_boxed_slice())
    }

    fn apply(settings: &mut Settings, directive: TextDirective, arg: &str) -> Result<Option<String>, String> {
        settings.apply_text(directive, arg.as_bytes(), leak)
    }

    #[test]
    fn styles_parse_case_insensitively_with_aliases() {
        assert_eq!(Style::parse(b"netscape"), Ok(Style::Netscape));
        assert_eq!(Style::parse(b"COOKIE"), Ok(Style::Cookie));
        assert_eq!(Style::parse(b"rfc2109"), Ok(Style::Cookie));
        assert_eq!(Style::parse(b"Cookie2"), Ok(Style::Cookie2));
        assert_eq!(Style::parse(b"RFC2965"), Ok(Style::Cookie2));
        assert_eq!(Style::parse(b"RFC6265"), Err("Invalid CookieStyle keyword: 'RFC6265'".into()));
    }

    #[test]
    fn same_site_values() {
        assert_eq!(SameSite::parse(b"strict"), Ok(SameSite::Strict));
        assert_eq!(SameSite::parse(b"LAX"), Ok(SameSite::Lax));
        assert_eq!(SameSite::parse(b"None"), Ok(SameSite::None));
        assert_eq!(SameSite::None.attribute(), b"SameSite=None");
        assert_eq!(
            SameSite::parse(b"off"),
            Err("CookieSameSite accepts 'Strict', 'Lax', or 'None'".into())
        );
    }

    #[test]
    fn cookie_names_must_be_tokens() {
        for good in ["Apache", "user_id", "a-b.c", "!#$%&'*+-.^_`|~", "X9"] {
            assert_eq!(validate_cookie_name(good.as_bytes()), Ok(()), "{good}");
        }
        for bad in ["we;ird name", "a b", "a=b", "a,b", "(x)", "a\"b", "tab\t", "é", ""] {
            assert!(validate_cookie_name(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(
            validate_cookie_name(b"we;ird name"),
            Err("CookieName \"we;ird name\" is not a valid cookie name: use only letters, digits and \
                 !#$%&'*+-.^_`|~"
                .into())
        );
    }

    #[test]
    fn domains_follow_stock_rules_then_refuse_header_breaking_bytes() {
        assert_eq!(validate_cookie_domain(b".example.com"), Ok(()));
        assert_eq!(validate_cookie_domain(b".com."), Ok(()));
        assert_eq!(validate_cookie_domain(b".."), Ok(()));
        assert_eq!(validate_cookie_domain(b""), Err("CookieDomain values may not be null".into()));
        assert_eq!(
            validate_cookie_domain(b"example.com"),
            Err("CookieDomain values must begin with a dot".into())
        );
        assert_eq!(
            validate_cookie_domain(b".com"),
            Err("CookieDomain values must contain at least one embedded dot".into())
        );
        assert_eq!(
            validate_cookie_domain(b".ex ample.com"),
            Err("CookieDomain \".ex ample.com\" may not contain spaces, ';', ',' or control characters"
                .into())
        );
        for bad in [&b".a.b;x"[..], b".a.b,c", b".a.b\x01", b".a.b\t", b".a.b\x7f"] {
            assert!(validate_cookie_domain(bad).is_err());
        }
    }

    #[test]
    fn apply_stores_validated_values() {
        let mut settings = Settings::UNSET;
        assert_eq!(apply(&mut settings, TextDirective::Name, "sid"), Ok(None));
        assert_eq!(apply(&mut settings, TextDirective::Domain, ".example.com"), Ok(None));
        assert_eq!(apply(&mut settings, TextDirective::Style, "rfc2965"), Ok(None));
        assert_eq!(apply(&mut settings, TextDirective::SameSite, "lax"), Ok(None));
        assert_eq!(apply(&mut settings, TextDirective::Expires, "2 weeks"), Ok(None));
        settings.apply_flag(FlagDirective::Tracking, true);
        settings.apply_flag(FlagDirective::Secure, false);
        settings.apply_flag(FlagDirective::HttpOnly, true);
        assert_eq!(
            settings,
            DirSettings {
                tracking: Some(true),
                name: Some(&b"sid"[..]),
                domain: Some(&b".example.com"[..]),
                expires: Some(1_209_600),
                style: Some(Style::Cookie2),
                same_site: Some(SameSite::Lax),
                secure: Some(false),
                http_only: Some(true),
                ..Settings::UNSET
            }
        );
    }

    #[test]
    fn new_directives_are_stored() {
        let mut settings = Settings::UNSET;
        assert_eq!(apply(&mut settings, TextDirective::IdFormat, "UUID7"), Ok(None));
        assert_eq!(apply(&mut settings, TextDirective::Path, "/shop/"), Ok(None));
        for flag in [FlagDirective::Inject, FlagDirective::Renew, FlagDirective::Validate, FlagDirective::SignAcceptUnsigned] {
            settings.apply_flag(flag, true);
        }
        assert_eq!(settings.id_format, Some(IdFormat::Uuid7));
        assert_eq!(settings.path, Some(&b"/shop/"[..]));
        assert_eq!(
            (settings.inject, settings.renew, settings.validate, settings.accept_unsigned),
            (Some(true), Some(true), Some(true), Some(true))
        );
        assert!(!settings.is_unset());
    }

    #[test]
    fn cookie_paths_are_absolute_and_cannot_break_the_header() {
        for good in ["/", "/shop", "/a/b/", "/~user/x.html", "/%20"] {
            assert_eq!(validate_cookie_path(good.as_bytes()), Ok(()), "{good}");
        }
        assert_eq!(
            validate_cookie_path(b"shop").unwrap_err().to_string(),
            "CookiePath \"shop\" must start with '/'"
        );
        assert_eq!(validate_cookie_path(b"").unwrap_err().to_string(), "CookiePath \"\" must start with '/'");
        for bad in [&b"/a b"[..], b"/a;b", b"/a,b", b"/a\tb", b"/a\x01", b"/a\x7f", b"/a\r\nX: y"] {
            assert!(matches!(validate_cookie_path(bad), Err(CookiePathError::BreaksTheHeader(_))), "{bad:?}");
        }
        assert_eq!(
            validate_cookie_path(b"/a;b").unwrap_err().to_string(),
            "CookiePath \"/a;b\" may not contain whitespace, ';', ',' or control characters"
        );
    }

    #[test]
    fn invalid_values_leave_settings_unchanged() {
        let mut settings = Settings::UNSET;
        assert!(apply(&mut settings, TextDirective::Name, "a b").is_err());
        assert!(apply(&mut settings, TextDirective::Domain, "nodot").is_err());
        assert!(apply(&mut settings, TextDirective::Expires, "100 years").is_err());
        assert!(apply(&mut settings, TextDirective::Style, "x").is_err());
        assert!(apply(&mut settings, TextDirective::SameSite, "x").is_err());
        assert!(apply(&mut settings, TextDirective::IdFormat, "guid").is_err());
        assert!(apply(&mut settings, TextDirective::Path, "relative").is_err());
        assert_eq!(settings, Settings::UNSET);
    }

    #[test]
    fn long_expiry_is_kept_with_a_warning() {
        let mut settings = Settings::UNSET;
        let warning = apply(&mut settings, TextDirective::Expires, "2 years").unwrap();
        assert!(warning.unwrap().contains("more than 400 days"));
        assert_eq!(settings.expires, Some(63_072_000));
    }

    #[test]
    fn inner_scope_overrides_only_what_it_sets() {
        let mut outer = Settings::UNSET;
        outer.apply_flag(FlagDirective::Tracking, true);
        apply(&mut outer, TextDirective::Style, "Cookie").unwrap();
        apply(&mut outer, TextDirective::Domain, ".example.com").unwrap();
        apply(&mut outer, TextDirective::Expires, "3600").unwrap();
        outer.apply_flag(FlagDirective::Inject, true);
        apply(&mut outer, TextDirective::IdFormat, "legacy").unwrap();
        let mut inner = Settings::UNSET;
        apply(&mut inner, TextDirective::Name, "subcookie").unwrap();
        inner.apply_flag(FlagDirective::Secure, true);
        inner.apply_flag(FlagDirective::Inject, false);
        apply(&mut inner, TextDirective::Path, "/sub").unwrap();

        let merged = outer.merged_with(&inner);
        assert!(merged.tracking_enabled());
        assert_eq!(merged.style, Some(Style::Cookie));
        assert_eq!(merged.domain, Some(&b".example.com"[..]));
        assert_eq!(merged.expires, Some(3600));
        assert_eq!(merged.name, Some(&b"subcookie"[..]));
        assert_eq!(merged.secure, Some(true));
        assert_eq!(merged.http_only, None);
        assert_eq!(merged.inject, Some(false));
        assert_eq!(merged.id_format, Some(IdFormat::Legacy));
        assert_eq!(merged.path, Some(&b"/sub"[..]));
        assert_eq!(merged.renew, None);
    }

    #[test]
    fn inner_scope_can_turn_things_off_again() {
        let mut outer = Settings::UNSET;
        outer.apply_flag(FlagDirective::Tracking, true);
        outer.apply_flag(FlagDirective::Secure, true);
        apply(&mut outer, TextDirective::Expires, "3600").unwrap();
        let mut inner = Settings::UNSET;
        inner.apply_flag(FlagDirective::Tracking, false);
        inner.apply_flag(FlagDirective::Secure, false);
        apply(&mut inner, TextDirective::Expires, "0").unwrap();

        let merged = outer.merged_with(&inner);
        assert!(!merged.tracking_enabled());
        assert_eq!(merged.secure, Some(false));
        assert_eq!(merged.expires, Some(0));
    }

    #[test]
    fn merging_unset_scopes_changes_nothing() {
        let mut outer = Settings::UNSET;
        assert!(outer.is_unset());
        outer.apply_flag(FlagDirective::Tracking, true);
        assert!(!outer.is_unset());
        assert_eq!(outer.merged_with(&Settings::UNSET), outer);
        assert_eq!(Settings::UNSET.merged_with(&outer), outer);
        assert!(!Settings::UNSET.tracking_enabled());
    }

    #[test]
    fn cookieless_tracking_merges_and_yields_to_the_cookie() {
        let mut outer = Settings::UNSET;
        outer.apply_flag(FlagDirective::Cookieless, true);
        assert!(!outer.is_unset());
        assert!(outer.cookieless_enabled(), "on, and CookieTracking unset (off)");
        let mut consented = Settings::UNSET;
        consented.apply_flag(FlagDirective::Tracking, true);
        let merged = outer.merged_with(&consented);
        assert_eq!(merged.cookieless, Some(true), "inherited");
        assert!(!merged.cookieless_enabled(), "where the cookie is on, nothing changes");
        let mut declined = Settings::UNSET;
        declined.apply_flag(FlagDirective::Tracking, false);
        assert!(merged.merged_with(&declined).cookieless_enabled());
        let mut off = Settings::UNSET;
        off.apply_flag(FlagDirective::Cookieless, false);
        assert!(!outer.merged_with(&off).cookieless_enabled());
        assert!(!Settings::UNSET.cookieless_enabled());
    }
}
