//! The `Set-Cookie` (or `Set-Cookie2`) header for a tracking cookie, byte for byte as stock
//! mod_usertrack writes it: `NAME=VALUE; path=/` (or `CookiePath`'s path), then `expires=`/`max-age=`, `domain=`
//! (+ `version=1` for Cookie2), `SameSite=`, `Secure`, `HttpOnly`.

use std::ffi::CStr;
use std::mem::MaybeUninit;

use super::byte_writer::ByteWriter;
use super::netscape_date::{NETSCAPE_DATE_LEN, netscape_date_cached};
use super::settings::{DEFAULT_COOKIE_NAME, DirSettings, SameSite, Style};
use super::cookie_value::{CookieValue, ID_BLOCK_LEN};

pub const DEFAULT_PATH: &[u8] = b"/";
const PATH: &[u8] = b"; path=";
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
    pub path: &'a [u8],
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
            path: DEFAULT_PATH,
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
            path: settings.path.map_or(DEFAULT_PATH, &bytes),
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

    /// An upper bound on the length of everything but the value and a Netscape date.
    fn max_fixed_text_len(&self) -> usize {
        self.name.len()
            + 1
            + PATH.len()
            + self.path.len()
            + EXPIRES.len().max(MAX_AGE.len())
            + LONGEST_DECIMAL_U32
            + self.domain.map_or(0, |domain| DOMAIN.len() + domain.len() + VERSION_1.len())
            + LONGEST_SAME_SITE
            + SECURE.len()
            + HTTP_ONLY.len()
    }

    /// Whether the header carries a date, which changes with every request.
    fn dated(&self) -> bool {
        self.expires_seconds != 0 && self.style == Style::Netscape
    }
}

/// Copies of up to this many bytes are made as one fixed-size block instead of a length-dependent
/// copy; the template's text and the output buffer carry this much slack for it.
const BLOCK_LEN: usize = 32;
const _: () = assert!(ID_BLOCK_LEN <= BLOCK_LEN, "a short value's block fits in the output's slack");

/// A cookie's Set-Cookie header with the per-request parts left open: `prefix` ID `middle`, and
/// for a Netscape cookie with an expiry `date suffix`. Built once per config, so that a request
/// copies three pieces instead of assembling up to nine attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetCookieTemplate<'a> {
    /// prefix, middle and suffix, then `BLOCK_LEN` bytes of padding.
    text: &'a [u8],
    middle_at: usize,
    suffix_at: usize,
    /// For a dated header: the seconds from the request time to the date.
    date_offset_seconds: Option<u32>,
    /// The common header, undated with short pieces, in a form written without bounds checks.
    short: Option<ShortTemplate>,
    output_buffer_len: usize,
    header_name: &'static CStr,
}

/// An undated header whose prefix and middle fit a block each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShortTemplate {
    prefix: [u8; BLOCK_LEN],
    prefix_len: usize,
    middle: [u8; BLOCK_LEN],
    middle_len: usize,
}

/// What `ShortTemplate::write` needs: three blocks and the NUL, rounded up.
const SHORT_OUTPUT_LEN: usize = 4 * BLOCK_LEN;

impl ShortTemplate {
    fn new(prefix: &[u8], middle: &[u8]) -> Option<Self> {
        let block = |piece: &[u8]| {
            let mut block = [0; BLOCK_LEN];
            block.get_mut(..piece.len())?.copy_from_slice(piece);
            Some(block)
        };
        Some(Self { prefix: block(prefix)?, prefix_len: prefix.len(), middle: block(middle)?, middle_len: middle.len() })
    }

    /// Every offset is capped at a block, so the compiler sees that each copy fits `out`.
    #[inline(always)]
    fn write(&self, out: &mut [MaybeUninit<u8>; SHORT_OUTPUT_LEN], value: &[u8; ID_BLOCK_LEN], value_len: usize) -> usize {
        out[..BLOCK_LEN].write_copy_of_slice(&self.prefix);
        let mut at = self.prefix_len.min(BLOCK_LEN);
        out[at..][..ID_BLOCK_LEN].write_copy_of_slice(value);
        at += value_len.min(ID_BLOCK_LEN);
        out[at..][..BLOCK_LEN].write_copy_of_slice(&self.middle);
        at += self.middle_len.min(BLOCK_LEN);
        out[at].write(0);
        at
    }
}

/// Out of line, or the compiler merges both branches of `put_piece` into one length-dependent
/// copy.
#[cold]
#[inline(never)]
fn put_long_piece(out: &mut [MaybeUninit<u8>], piece: &[u8]) {
    out.write_copy_of_slice(piece);
}

impl<'a> SetCookieTemplate<'a> {
    /// How many bytes `build` needs for `attributes`.
    pub fn text_buffer_len(attributes: &CookieAttributes) -> usize {
        attributes.max_fixed_text_len() + BLOCK_LEN
    }

    /// The template for `attributes`, its text in `buffer` (`text_buffer_len` bytes).
    pub fn build(attributes: &CookieAttributes, buffer: &'a mut [u8]) -> Self {
        let mut out = ByteWriter::new(buffer);
        out.put(attributes.name);
        out.put(b"=");
        let middle_at = out.written();
        out.put(PATH);
        out.put(attributes.path);
        if attributes.expires_seconds != 0 {
            if attributes.dated() {
                out.put(EXPIRES);
            } else {
                out.put(MAX_AGE);
                out.put_decimal(u64::from(attributes.expires_seconds));
            }
        }
        let date_at = attributes.dated().then(|| out.written());
        if let Some(domain) = attributes.domain {
            out.put(DOMAIN);
            out.put(domain);
            if attributes.style == Style::Cookie2 {
                out.put(VERSION_1);
            }
        }
        if let Some(same_site) = attributes.same_site {
            out.put(b"; ");
            out.put(same_site.attribute());
        }
        if attributes.secure {
            out.put(SECURE);
        }
        if attributes.http_only {
            out.put(HTTP_ONLY);
        }
        let end = out.written();
        out.put(&[0; BLOCK_LEN]);
        let text: &'a [u8] = buffer;
        let short = if attributes.dated() { None } else { ShortTemplate::new(&text[..middle_at], &text[middle_at..end]) };
        let date_len = if attributes.dated() { NETSCAPE_DATE_LEN } else { 0 };
        let pieces_output_len = end + date_len + BLOCK_LEN;
        Self {
            text: &text[..end + BLOCK_LEN],
            middle_at,
            suffix_at: date_at.unwrap_or(end),
            date_offset_seconds: attributes.dated().then_some(attributes.expires_seconds),
            short,
            output_buffer_len: if short.is_some() { pieces_output_len.max(SHORT_OUTPUT_LEN) } else { pieces_output_len },
            header_name: attributes.header_name(),
        }
    }

    pub fn header_name(&self) -> &'static CStr {
        self.header_name
    }

    fn text_end(&self) -> usize {
        self.text.len() - BLOCK_LEN
    }

    /// How many bytes `write` needs for a value of `value_len` bytes, slack for its fixed-size
    /// copies included.
    pub fn output_buffer_len(&self, value_len: usize) -> usize {
        self.output_buffer_len + value_len.max(ID_BLOCK_LEN)
    }

    /// Copies `text[start..end]` to `out[at..]`; a short piece as one block, trailing bytes and
    /// all, which the next piece (or the caller's terminator) overwrites.
    #[inline(always)]
    fn put_piece(&self, out: &mut [MaybeUninit<u8>], at: usize, start: usize, end: usize) -> usize {
        let len = end - start;
        if len <= BLOCK_LEN {
            out[at..][..BLOCK_LEN].write_copy_of_slice(&self.text[start..][..BLOCK_LEN]);
        } else {
            put_long_piece(&mut out[at..][..len], &self.text[start..end]);
        }
        at + len
    }

    /// Writes the header for `value` and a NUL into `out` (`output_buffer_len(value.len())`
    /// bytes) and returns the header's length. Bytes after the NUL are scratch.
    #[inline]
    pub fn write(&self, out: &mut [MaybeUninit<u8>], value: &CookieValue, request_time_seconds: i64) -> usize {
        match (&self.short, value.short_block(), out.first_chunk_mut()) {
            (Some(short), Some(block), Some(out)) => short.write(out, block, value.len()),
            (_, block, _) => self.write_pieces(out, value.bytes(), block, request_time_seconds),
        }
    }

    /// `write` for a value as the visitor sent it (a renewed cookie), of any length.
    pub fn write_bytes(&self, out: &mut [MaybeUninit<u8>], value: &[u8], request_time_seconds: i64) -> usize {
        self.write_pieces(out, value, None, request_time_seconds)
    }

    /// `write` for any template; `block` is `value` and zeros, when it fits one.
    fn write_pieces(
        &self,
        out: &mut [MaybeUninit<u8>],
        value: &[u8],
        block: Option<&[u8; ID_BLOCK_LEN]>,
        request_time_seconds: i64,
    ) -> usize {
        let mut at = self.put_piece(out, 0, 0, self.middle_at);
        match block {
            Some(block) => {
                out[at..][..ID_BLOCK_LEN].write_copy_of_slice(block);
            }
            None => put_long_piece(&mut out[at..][..value.len()], value),
        }
        at += value.len();
        at = self.put_piece(out, at, self.middle_at, self.suffix_at);
        if let Some(offset) = self.date_offset_seconds {
            let date = netscape_date_cached(request_time_seconds + i64::from(offset));
            out[at..][..NETSCAPE_DATE_LEN].write_copy_of_slice(&date);
            at = self.put_piece(out, at + NETSCAPE_DATE_LEN, self.suffix_at, self.text_end());
        }
        out[at].write(0);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: CookieAttributes<'static> = CookieAttributes::defaults(b"Apache");
    /// 2026-11-22 00:53:42 GMT, so that +60 s is the spec's observed `Sun, 22-Nov-26 00:54:42 GMT`.
    const REQUEST_TIME: i64 = 1_795_308_822;

    fn header(attributes: CookieAttributes, value: &str) -> String {
        let mut text = vec![0u8; SetCookieTemplate::text_buffer_len(&attributes)];
        let template = SetCookieTemplate::build(&attributes, &mut text);
        assert_eq!(template.header_name(), attributes.header_name());
        // Garbage, not zeros: the header must not depend on what the buffer held.
        let id = CookieValue::unsigned(value.as_bytes());
        let written = |write: &dyn Fn(&mut [MaybeUninit<u8>]) -> usize| {
            let mut out = vec![MaybeUninit::new(b'#'); template.output_buffer_len(value.len())];
            let len = write(&mut out);
            // SAFETY: every byte was initialised above.
            let bytes: Vec<u8> = out[..=len].iter().map(|byte| unsafe { byte.assume_init() }).collect();
            assert_eq!(bytes[len], 0, "NUL-terminated");
            String::from_utf8(bytes[..len].to_vec()).unwrap()
        };
        let text = written(&|out| template.write(out, &id, REQUEST_TIME));
        // The short form, where there is one, writes what the general one does.
        assert_eq!(text, written(&|out| template.write_pieces(out, id.bytes(), id.short_block(), REQUEST_TIME)));
        // A value as the visitor sent it gives the same header.
        assert_eq!(text, written(&|out| template.write_bytes(out, value.as_bytes(), REQUEST_TIME)));
        text
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
    /// stock order, and within the buffer sizes the template asks for (slicing panics otherwise).
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
                                    path: DEFAULT_PATH,
                                    domain,
                                    expires_seconds,
                                    style,
                                    same_site,
                                    secure,
                                    http_only,
                                };
                                let text = header(attributes, "ffffffff.ffffffffffffffff");
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
            path: Some(&b"/shop"[..]),
            ..DirSettings::UNSET
        };
        assert_eq!(
            CookieAttributes::from_settings(&set, |s| s),
            CookieAttributes {
                name: b"sid",
                path: b"/shop",
                domain: Some(b".a.b"),
                expires_seconds: 5,
                style: Style::Cookie,
                same_site: Some(SameSite::Lax),
                secure: true,
                http_only: false,
            }
        );
    }

    #[test]
    fn cookie_path_replaces_the_root() {
        assert_eq!(header(CookieAttributes { path: b"/shop/", ..DEFAULTS }, "a.b"), "Apache=a.b; path=/shop/");
        assert_eq!(
            header(CookieAttributes { path: b"/x", expires_seconds: 60, ..DEFAULTS }, "a.b"),
            "Apache=a.b; path=/x; expires=Sun, 22-Nov-26 00:54:42 GMT"
        );
    }

    #[test]
    fn the_common_headers_have_the_short_form() {
        let template = |attributes: CookieAttributes| {
            let mut text = vec![0u8; SetCookieTemplate::text_buffer_len(&attributes)];
            SetCookieTemplate::build(&attributes, &mut text).short.is_some()
        };
        assert!(template(DEFAULTS));
        assert!(template(CookieAttributes { style: Style::Cookie, expires_seconds: 31_536_000, ..DEFAULTS }));
        assert!(!template(CookieAttributes { expires_seconds: 60, ..DEFAULTS }), "dated");
        assert!(!template(CookieAttributes { name: &[b'n'; 32], ..DEFAULTS }), "long prefix");
        assert!(!template(CookieAttributes { domain: Some(b".example.com"), secure: true, ..DEFAULTS }), "long middle");
    }

    /// Pieces longer than one block are copied whole, and IDs of every length fit either form.
    #[test]
    fn long_names_and_domains_and_every_id_length() {
        let name = "n".repeat(40);
        let domain = format!(".{}.example", "d".repeat(60));
        let attributes = CookieAttributes {
            name: name.as_bytes(),
            domain: Some(domain.as_bytes()),
            expires_seconds: 60,
            secure: true,
            ..DEFAULTS
        };
        for id_len in 1..=crate::core::cookie_value::VALUE_CAPACITY {
            let id = "f".repeat(id_len);
            assert_eq!(header(DEFAULTS, &id), format!("Apache={id}; path=/"));
            assert_eq!(
                header(attributes, &id),
                format!("{name}={id}; path=/; expires=Sun, 22-Nov-26 00:54:42 GMT; domain={domain}; Secure")
            );
            assert_eq!(
                header(CookieAttributes { style: Style::Cookie, ..attributes }, &id),
                format!("{name}={id}; path=/; max-age=60; domain={domain}; Secure")
            );
        }
    }
}
