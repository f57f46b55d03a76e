//! The CookieExpires grammar on arbitrary arguments: never panics; a result is within a C int;
//! the 400-day warning comes exactly above 400 days and names the argument; an error has a
//! message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::expires::{BROWSER_CAP_SECONDS, MAX_EXPIRES_SECONDS, browser_cap_warning, parse_expires};

fuzz_target!(|arg: &[u8]| {
    match parse_expires(arg) {
        Ok(seconds) => {
            assert!(u64::from(seconds) <= MAX_EXPIRES_SECONDS);
            let warning = browser_cap_warning(arg, seconds);
            assert_eq!(warning.is_some(), u64::from(seconds) > BROWSER_CAP_SECONDS);
            if let Some(warning) = warning {
                assert!(warning.contains(&*String::from_utf8_lossy(arg)) && warning.contains(&seconds.to_string()));
            }
        }
        Err(error) => assert!(!error.message(arg).is_empty()),
    }
});
