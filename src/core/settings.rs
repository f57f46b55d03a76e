//! Per-directory settings: directive validation, defaults and merging.
//!
//! Every field is optional so that a section setting only some directives inherits the rest
//! from its parent (stock mod_usertrack has no merge function and resets them instead).
//! `S` is how the embedding stores strings: pool strings in httpd, byte slices in tests.

use super::expires::{browser_cap_warning, parse_expires};
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

/// Directives taking one word, as named in httpd's command table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextDirective {
    Expires,
    Domain,
    Style,
    Name,
    SameSite,
}

/// On/Off directives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagDirective {
    Tracking,
    Secure,
    HttpOnly,
}

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
        }
    }

    /// True when the scope sets no directive at all.
    pub fn is_unset(&self) -> bool {
        let Self { tracking, name, domain, expires, style, same_site, secure, http_only } = self;
        tracking.is_none()
            && name.is_none()
            && domain.is_none()
            && expires.is_none()
            && style.is_none()
            && same_site.is_none()
            && secure.is_none()
            && http_only.is_none()
    }

    pub fn tracking_enabled(&self) -> bool {
        self.tracking == Some(true)
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
        }
        Ok(None)
    }

    pub fn apply_flag(&mut self, directive: FlagDirective, on: bool) {
        let field = match directive {
            FlagDirective::Tracking => &mut self.tracking,
            FlagDirective::Secure => &mut self.secure,
            FlagDirective::HttpOnly => &mut self.http_only,
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
            }
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
        let mut inner = Settings::UNSET;
        apply(&mut inner, TextDirective::Name, "subcookie").unwrap();
        inner.apply_flag(FlagDirective::Secure, true);

        let merged = outer.merged_with(&inner);
        assert!(merged.tracking_enabled());
        assert_eq!(merged.style, Some(Style::Cookie));
        assert_eq!(merged.domain, Some(&b".example.com"[..]));
        assert_eq!(merged.expires, Some(3600));
        assert_eq!(merged.name, Some(&b"subcookie"[..]));
        assert_eq!(merged.secure, Some(true));
        assert_eq!(merged.http_only, None);
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
}
