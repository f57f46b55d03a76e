//! Every directive's validation on arbitrary arguments (input: a selector byte, then the
//! argument): `DirSettings::apply_text` for each `TextDirective`, `apply_flag`, the cookie
//! name, domain and path checks and `IdFormat::parse`. Never panics; a refused value leaves the
//! settings unset; an accepted name, domain or path is stored as given and cannot break the
//! Set-Cookie header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::expires::parse_expires;
use mod_usertrack::core::id_format::IdFormat;
use mod_usertrack::core::settings::{
    DirSettings, FlagDirective, SameSite, Style, TextDirective, validate_cookie_domain, validate_cookie_name,
    validate_cookie_path,
};

type Settings = DirSettings<usize>;

/// Bytes that would end an attribute or the header early.
fn breaks_the_header(byte: u8) -> bool {
    byte == b';' || byte == b',' || byte.is_ascii_control() || byte == b' '
}

fn check_text(directive: TextDirective, arg: &[u8]) {
    let mut settings = Settings::UNSET;
    let mut kept = None;
    let result = settings.apply_text(directive, arg, |bytes| {
        kept = Some(bytes.to_vec());
        bytes.len()
    });
    let Ok(warning) = result else {
        assert!(!result.unwrap_err().is_empty());
        assert_eq!(settings, Settings::UNSET, "{directive:?} {arg:?}");
        assert!(kept.is_none());
        return;
    };
    assert!(warning.is_none() || directive == TextDirective::Expires);
    assert!(!settings.is_unset());
    let stored = |field: Option<usize>| {
        assert_eq!(field, Some(arg.len()));
        assert_eq!(kept.as_deref(), Some(arg));
        assert!(!arg.iter().any(|&b| breaks_the_header(b)), "{directive:?} {arg:?}");
    };
    match directive {
        TextDirective::Expires => assert_eq!(settings.expires, parse_expires(arg).ok()),
        TextDirective::Domain => {
            stored(settings.domain);
            assert!(arg[0] == b'.' && arg[1..].contains(&b'.'));
        }
        TextDirective::Style => assert_eq!(settings.style, Style::parse(arg).ok()),
        TextDirective::Name => {
            stored(settings.name);
            assert!(arg.iter().all(|&b| fuzz_input::is_token_byte(b)) && !arg.is_empty());
        }
        TextDirective::SameSite => assert_eq!(settings.same_site, SameSite::parse(arg).ok()),
        TextDirective::IdFormat => {
            let format = settings.id_format.unwrap();
            assert!(arg.eq_ignore_ascii_case(format.keyword().as_bytes()));
        }
        TextDirective::Path => {
            stored(settings.path);
            assert!(arg[0] == b'/' && !arg.iter().any(u8::is_ascii_whitespace));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, arg)) = data.split_first() else { return };
    check_text(TextDirective::ALL[usize::from(selector) % TextDirective::ALL.len()], arg);

    let flag = FlagDirective::ALL[usize::from(selector / 7) % FlagDirective::ALL.len()];
    let on = selector & 0x80 != 0;
    let mut settings = Settings::UNSET;
    settings.apply_flag(flag, on);
    assert!(!settings.is_unset());
    assert_eq!(Settings::UNSET.merged_with(&settings), settings);
    assert_eq!(settings.tracking_enabled(), flag == FlagDirective::Tracking && on);

    // The checks on their own agree with the directives that use them.
    let accepts = |directive| {
        let mut settings = Settings::UNSET;
        settings.apply_text(directive, arg, |_| 0).is_ok()
    };
    assert_eq!(validate_cookie_name(arg).is_ok(), accepts(TextDirective::Name));
    assert_eq!(validate_cookie_domain(arg).is_ok(), accepts(TextDirective::Domain));
    assert_eq!(validate_cookie_path(arg).is_ok(), accepts(TextDirective::Path));
    match IdFormat::parse(arg) {
        Ok(format) => assert!(arg.eq_ignore_ascii_case(format.keyword().as_bytes())),
        Err(error) => assert!(error.to_string().starts_with("CookieIDFormat \"")),
    }
});
