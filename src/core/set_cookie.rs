//! The `Set-Cookie` (or `Set-Cookie2`) header for a freshly minted ID, byte for byte as stock
//! mod_usertrack writes it: `NAME=VALUE; path=/`, then `expires=`/`max-age=`, `domain=`
//! (+ `version=1` for Cookie2), `SameSite=`, `Secure`, `HttpOnly`.

use std::ffi::CStr;

use super::byte_writer::ByteWriter;
use super::netscape_date::{NETSCAPE_DATE_LEN, netscape_date};
use super::settings::{DEFAULT_COOKIE_NAME, DirSettings, SameSite, Style};

const PATH: &[u8] = b"; path=/";
const EXPIRES: &[u8] = b"; expires=";
const MAX_AGE: &[u8] = b"; max-age=";
const DOMAIN: &[u8] = b"; domain=";
const VERSION_1: &[u8] = b"; version=1";
const SECURE: &[u8] = b"; Secure";
const HTTP_ONLY: &[u8] = b"; HttpOnly";
const LONGEST_SAME_SITE: usize = "; SameSite=Strict".len();
const LONGEST_DECIMAL_U32: usize = 10;

/// Everything that shapes the header, with defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieAttributes<'a> {
    pub name: &'a [u8],
    pub domain: Option<&'a [u8]>,
    /// 0: a session cookie.
    pub expires_seconds: u32,
    pub style: Style,
    pub same_site: Option<SameSite>,
    pub secure: bool,
    pub http_only: bool,
}

impl<'a> CookieAttributes<'a> {
    /// A cookie with every attribute at its stock default: Netscape style, session, no extras.
    pub const fn defaults(name: &'a [u8]) -> Self {
        Self {
            name,
            domain: None,
            expires_seconds: 0,
            style: Style::Netscape,
            same_site: None,
            secure: false,
            http_only: false,
        }
    }

    pub fn from_settings<S: Copy>(settings: &DirSettings<S>, bytes: impl Fn(S) -> &'a [u8]) -> Self {
        Self {
            name: settings.name.map_or(DEFAULT_COOKIE_NAME, &bytes),
            domain: settings.domain.map(&bytes),
            expires_seconds: settings.expires.unwrap_or(0),
            style: settings.style.unwrap_or(Style::Netscape),
            same_site: settings.same_site,
            secure: settings.secure.unwrap_or(false),
            http_only: settings.http_only.unwrap_or(false),
        }
    }

    pub fn header_name(&self) -> &'static CStr {
        match self.style {
            Style::Cookie2 => c"Set-Cookie2",
            Style::Netscape | Style::Cookie => c"Set-Cookie",
        }
    }

    /// An upper bound on the header value's length for a `value_len`-byte ID.
    pub fn max_header_len(&self, value_len: usize) -> usize {
        self.name.len()
            + 1
            + value_len
            + PATH.len()
            + EXPIRES.len().max(MAX_AGE.len())
            + NETSCAPE_DATE_LEN.max(LONGEST_DECIMAL_U32)
            + self.domain.map_or(0, |domain| DOMAIN.len() + domain.len() + VERSION_1.len())
            + LONGEST_SAME_SITE
            + SECURE.len()
            + HTTP_ONLY.len()
    }

    /// Writes the header value; `out` must hold `max_header_len(value.len())` bytes.
    pub fn write_header(&self, out: &mut ByteWriter, value: &[u8], request_time_seconds: i64) {
        out.put(self.name);
        out.put(b"=");
        out.put(value);
        out.put(PATH);
        if self.expires_seconds != 0 {
            if self.style == Style::Netscape {
                out.put(EXPIRES);
                out.put(&netscape_date(request_time_seconds + i64::from(self.expires_seconds)));
            } else {
                out.put(MAX_AGE);
                out.put_decimal(self.expires_seconds);
            }
        }
        if let Some(domain) = self.domain {
            out.put(DOMAIN);
            out.put(domain);
            if self.style == Style::Cookie2 {
                out.put(VERSION_1);
            }
        }
        if let Some(same_site) = self.same_site {
            out.put(b"; ");
            out.put(same_site.attribute());
        }
        if self.secure {
            out.put(SECURE);
        }
        if self.http_only {
            out.put(HTTP_ONLY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: CookieAttributes<'static> = CookieAttributes::defaults(b"Apache");
    /// 2026-11-22 00:53:42 GMT, so that +60 s is the spec's observed `Sun, 22-Nov-26 00:54:42 GMT`.
    const REQUEST_TIME: i64 = 1_795_308_822;

    fn header(attributes: CookieAttributes, value: &str) -> String {
        let mut buffer = vec![0u8; attributes.max_header_len(value.len())];
        let mut writer = ByteWriter::new(&mut buffer);
        attributes.write_header(&mut writer, value.as_bytes(), REQUEST_TIME);
        let n = writer.written();
        String::from_utf8(buffer[..n].to_vec()).unwrap()
    }

    #[test]
    fn observed_stock_headers() {
        let domain = Some(&b".example.com"[..]);
        assert_eq!(header(DEFAULTS, "e679234d.660d2e8448362"), "Apache=e679234d.660d2e8448362; path=/");
        assert_eq!(
            header(CookieAttributes { expires_seconds: 60, ..DEFAULTS }, "8622347e.660d2e8a24d0e"),
            "Apache=8622347e.660d2e8a24d0e; path=/; expires=Sun, 22-Nov-26 00:54:42 GMT"
        );
        assert_eq!(
            header(CookieAttributes { style: Style::Cookie, expires_seconds: 1_468_800, ..DEFAULTS }, "v"),
            "Apache=v; path=/; max-age=1468800"
        );
        let cookie2 = CookieAttributes { style: Style::Cookie2, expires_seconds: 3600, ..DEFAULTS };
        assert_eq!(cookie2.header_name(), c"Set-Cookie2");
        assert_eq!(header(cookie2, "v"), "Apache=v; path=/; max-age=3600");
        assert_eq!(
            header(
                CookieAttributes {
                    domain,
                    same_site: Some(SameSite::Lax),
                    secure: true,
                    http_only: true,
                    ..cookie2
                },
                "d2e9002.660d2e900a927"
            ),
            "Apache=d2e9002.660d2e900a927; path=/; max-age=3600; domain=.example.com; version=1; \
             SameSite=Lax; Secure; HttpOnly"
        );
        assert_eq!(
            header(
                CookieAttributes {
                    style: Style::Cookie,
                    domain,
                    same_site: Some(SameSite::None),
                    secure: true,
                    http_only: true,
                    ..DEFAULTS
                },
                "v"
            ),
            "Apache=v; path=/; domain=.example.com; SameSite=None; Secure; HttpOnly"
        );
        assert_eq!(
            header(
                CookieAttributes {
                    expires_seconds: 3600,
                    domain,
                    same_site: Some(SameSite::Strict),
                    ..DEFAULTS
                },
                "v"
            ),
            "Apache=v; path=/; expires=Sun, 22-Nov-26 01:53:42 GMT; domain=.example.com; SameSite=Strict"
        );
    }

    #[test]
    fn version_only_for_cookie2_with_a_domain() {
        let domain = Some(&b".a.b"[..]);
        assert!(!header(CookieAttributes { style: Style::Cookie, domain, ..DEFAULTS }, "v").contains("version"));
        assert!(!header(CookieAttributes { style: Style::Netscape, domain, ..DEFAULTS }, "v").contains("version"));
        assert!(!header(CookieAttributes { style: Style::Cookie2, ..DEFAULTS }, "v").contains("version"));
    }

    /// Every combination of style, expiry, domain, SameSite, Secure and HttpOnly: attributes in
    /// stock order, and never longer than the advertised bound.
    #[test]
    fn every_combination_is_ordered_and_bounded() {
        let styles = [Style::Netscape, Style::Cookie, Style::Cookie2];
        let same_sites = [None, Some(SameSite::Strict), Some(SameSite::Lax), Some(SameSite::None)];
        for style in styles {
            for expires_seconds in [0, 1, i32::MAX as u32] {
                for domain in [None, Some(&b".example.com"[..])] {
                    for same_site in same_sites {
                        for secure in [false, true] {
                            for http_only in [false, true] {
                                let attributes = CookieAttributes {
                                    name: b"id",
                                    domain,
                                    expires_seconds,
                                    style,
                                    same_site,
                                    secure,
                                    http_only,
                                };
                                let text = header(attributes, "ffffffff.ffffffffffffffff");
                                assert!(text.len() <= attributes.max_header_len(25));
                                let order = ["id=", "; path=/", "; expires=", "; max-age=", "; domain=",
                                    "; version=1", "; SameSite=", "; Secure", "; HttpOnly"];
                                let positions: Vec<usize> = order.iter().filter_map(|a| text.find(a)).collect();
                                assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
                                assert_eq!(text.contains("; expires="), expires_seconds != 0 && style == Style::Netscape);
                                assert_eq!(text.contains("; max-age="), expires_seconds != 0 && style != Style::Netscape);
                                assert_eq!(text.contains("; Secure"), secure);
                                assert_eq!(text.ends_with("; HttpOnly"), http_only);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn attributes_from_settings_apply_defaults() {
        let unset = DirSettings::<&[u8]>::UNSET;
        assert_eq!(CookieAttributes::from_settings(&unset, |s| s), DEFAULTS);
        let set = DirSettings {
            tracking: Some(true),
            name: Some(&b"sid"[..]),
            domain: Some(&b".a.b"[..]),
            expires: Some(5),
            style: Some(Style::Cookie),
            same_site: Some(SameSite::Lax),
            secure: Some(true),
            http_only: Some(false),
        };
        assert_eq!(
            CookieAttributes::from_settings(&set, |s| s),
            CookieAttributes {
                name: b"sid",
                domain: Some(b".a.b"),
                expires_seconds: 5,
                style: Style::Cookie,
                same_site: Some(SameSite::Lax),
                secure: true,
                http_only: false,
            }
        );
    }
}
