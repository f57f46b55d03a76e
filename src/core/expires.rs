//! The CookieExpires grammar, quirk for quirk as stock mod_usertrack parses it, plus the range
//! checks the stock module lacks.
//!
//! Stock: if the argument's first and last characters are digits, the leading integer is the
//! number of seconds (`"1 day 2"` is 1). Otherwise `[plus] {<num> <type>}*`, where a first word
//! starting with `p` is skipped, `<num>` need only start with a digit (`3x` is 3), and `<type>`
//! matches by first letter (`mo`/`mi` for months and minutes), years being 365 days and months 30.

use super::config_words::config_words;

/// The largest expiry a C `int` (and so the stock module's max-age) can carry.
pub const MAX_EXPIRES_SECONDS: u64 = i32::MAX as u64;
/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis).
pub const BROWSER_CAP_SECONDS: u64 = 400 * 86_400;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiresError {
    NumericValueExpected,
    MissingType,
    UnrecognizedType,
    /// The total, saturated at `u64::MAX`, exceeds `MAX_EXPIRES_SECONDS`.
    TooLarge,
}

impl ExpiresError {
    /// The message httpd shows, given the directive's argument.
    pub fn message(&self, arg: &[u8]) -> String {
        match self {
            Self::NumericValueExpected => "bad expires code, numeric value expected.".into(),
            Self::MissingType => "bad expires code, missing <type>".into(),
            Self::UnrecognizedType => "bad expires code, unrecognized type".into(),
            Self::TooLarge => format!(
                "CookieExpires \"{}\" is more than {MAX_EXPIRES_SECONDS} seconds (about 68 years), \
                 the longest expiry a cookie can carry",
                String::from_utf8_lossy(arg)
            ),
        }
    }
}

/// The startup warning for an expiry browsers will shorten, if any.
pub fn browser_cap_warning(arg: &[u8], seconds: u32) -> Option<String> {
    (u64::from(seconds) > BROWSER_CAP_SECONDS).then(|| {
        format!(
            "CookieExpires \"{}\" is {seconds} seconds, more than 400 days: browsers cap cookie \
             lifetimes at 400 days",
            String::from_utf8_lossy(arg)
        )
    })
}

/// The leading decimal integer of `digits`, as `atol`/`atoi` read it, saturating instead of
/// overflowing.
fn leading_integer(digits: &[u8]) -> u64 {
    digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |total, &digit| total.saturating_mul(10).saturating_add(u64::from(digit - b'0')))
}

fn seconds_per_unit(word: &[u8]) -> Option<u64> {
    let lower = |i: usize| word.get(i).map(u8::to_ascii_lowercase);
    match (lower(0)?, lower(1)) {
        (b'y', _) => Some(365 * 86_400),
        (b'm', Some(b'o')) => Some(30 * 86_400),
        (b'w', _) => Some(7 * 86_400),
        (b'd', _) => Some(86_400),
        (b'h', _) => Some(3_600),
        (b'm', Some(b'i')) => Some(60),
        (b's', _) => Some(1),
        _ => None,
    }
}

fn grammar_seconds(arg: &[u8]) -> Result<u64, ExpiresError> {
    let words = config_words(arg);
    let mut words = words.iter().map(Vec::as_slice).peekable();
    if words.peek().and_then(|w| w.first()).is_some_and(|b| b.eq_ignore_ascii_case(&b'p')) {
        words.next();
    }
    let mut total = 0u64;
    // Stock stops at the first empty word where a number is due: `1 h '' 2 d` is one hour.
    while let Some(number) = words.next().filter(|w| !w.is_empty()) {
        if !number.first().is_some_and(u8::is_ascii_digit) {
            return Err(ExpiresError::NumericValueExpected);
        }
        let unit = words.next().filter(|w| !w.is_empty()).ok_or(ExpiresError::MissingType)?;
        let factor = seconds_per_unit(unit).ok_or(ExpiresError::UnrecognizedType)?;
        total = total.saturating_add(leading_integer(number).saturating_mul(factor));
    }
    Ok(total)
}

/// Seconds until expiry for a CookieExpires argument (0: a session cookie).
pub fn parse_expires(arg: &[u8]) -> Result<u32, ExpiresError> {
    let all_digits_shortcut = arg.first().is_some_and(u8::is_ascii_digit)
        && arg.last().is_some_and(u8::is_ascii_digit);
    let seconds = if all_digits_shortcut { leading_integer(arg) } else { grammar_seconds(arg)? };
    if seconds > MAX_EXPIRES_SECONDS {
        return Err(ExpiresError::TooLarge);
    }
    Ok(seconds as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(arg: &str) -> Result<u32, ExpiresError> {
        parse_expires(arg.as_bytes())
    }

    #[test]
    fn digits_only_shortcut_reads_the_leading_integer() {
        assert_eq!(seconds("60"), Ok(60));
        assert_eq!(seconds("007"), Ok(7));
        assert_eq!(seconds("1 day 2"), Ok(1));
        assert_eq!(seconds("1.5"), Ok(1));
        assert_eq!(seconds("0"), Ok(0));
        assert_eq!(seconds("2147483647"), Ok(i32::MAX as u32));
    }

    #[test]
    fn grammar_units_and_prefixes() {
        assert_eq!(seconds("2 weeks 3 days"), Ok(1_468_800));
        assert_eq!(seconds("1 y 1 mo 1 w 1 d 1 h 1 mi 1 s"), Ok(34_822_861));
        assert_eq!(seconds("1 yesterday"), Ok(31_536_000));
        assert_eq!(seconds("2 dog"), Ok(172_800));
        assert_eq!(seconds("1 MONTH"), Ok(2_592_000));
        assert_eq!(seconds("5 Minutes"), Ok(300));
        assert_eq!(seconds("7 sec"), Ok(7));
        assert_eq!(seconds("3x hours"), Ok(10_800));
        assert_eq!(seconds("0 days"), Ok(0));
        assert_eq!(seconds("'1 h'"), Err(ExpiresError::MissingType));
    }

    #[test]
    fn plus_is_any_word_starting_with_p() {
        assert_eq!(seconds("plus 1 month"), Ok(2_592_000));
        assert_eq!(seconds("pizza 3 days"), Ok(259_200));
        assert_eq!(seconds("Plus"), Ok(0));
        assert_eq!(seconds(" "), Ok(0));
    }

    #[test]
    fn stock_error_cases() {
        assert_eq!(seconds("-5"), Err(ExpiresError::NumericValueExpected));
        assert_eq!(seconds("days 3"), Err(ExpiresError::NumericValueExpected));
        assert_eq!(seconds("3 "), Err(ExpiresError::MissingType));
        assert_eq!(seconds("2weeks"), Err(ExpiresError::MissingType));
        assert_eq!(seconds("3 fortnights"), Err(ExpiresError::UnrecognizedType));
        assert_eq!(seconds("1 m"), Err(ExpiresError::UnrecognizedType));
        assert_eq!(seconds("1 ''"), Err(ExpiresError::MissingType));
        assert_eq!(seconds("''"), Ok(0));
        assert_eq!(seconds("1 h '' 2 d"), Ok(3_600));
    }

    #[test]
    fn values_past_a_c_int_are_refused() {
        assert_eq!(seconds("2147483648"), Err(ExpiresError::TooLarge));
        assert_eq!(seconds("3000000000"), Err(ExpiresError::TooLarge));
        assert_eq!(seconds("100 years"), Err(ExpiresError::TooLarge));
        assert_eq!(seconds("99999999999999999999999 seconds"), Err(ExpiresError::TooLarge));
        assert_eq!(seconds("99999999999999999999999"), Err(ExpiresError::TooLarge));
        assert_eq!(seconds("68 years"), Ok(2_144_448_000));
    }

    #[test]
    fn messages_match_stock_and_name_the_argument() {
        assert_eq!(
            ExpiresError::NumericValueExpected.message(b"-5"),
            "bad expires code, numeric value expected."
        );
        assert_eq!(ExpiresError::MissingType.message(b"3 "), "bad expires code, missing <type>");
        assert_eq!(ExpiresError::UnrecognizedType.message(b"1 m"), "bad expires code, unrecognized type");
        assert_eq!(
            ExpiresError::TooLarge.message(b"100 years"),
            "CookieExpires \"100 years\" is more than 2147483647 seconds (about 68 years), the \
             longest expiry a cookie can carry"
        );
    }

    #[test]
    fn warns_above_400_days_only() {
        assert_eq!(browser_cap_warning(b"400 days", 34_560_000), None);
        assert_eq!(
            browser_cap_warning(b"2 years", 63_072_000).as_deref(),
            Some(
                "CookieExpires \"2 years\" is 63072000 seconds, more than 400 days: browsers cap \
                 cookie lifetimes at 400 days"
            )
        );
    }
}
