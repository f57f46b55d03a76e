//! The UTC day a request belongs to, from a clock the caller injects (httpd's request time).
//! Each day has its own salt, kept in the cache under the day's name until the day is over and
//! a short grace has passed for requests in flight across midnight.

use crate::core::netscape_date::civil_from_days;

pub const SECONDS_PER_DAY: i64 = 86_400;
/// How long after midnight a salt may still be needed: requests that started the day before.
pub const GRACE_SECONDS: i64 = 300;

/// Days since 1970-01-01, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcDay(i64);

/// `usertrack-rs:cookieless-salt:YYYY-MM-DD`: the cache key of a day's salt.
pub const CACHE_KEY_LEN: usize = CACHE_KEY_PREFIX.len() + b"YYYY-MM-DD".len();
const CACHE_KEY_PREFIX: &[u8] = b"usertrack-rs:cookieless-salt:";

impl UtcDay {
    pub fn of_unix_seconds(seconds: i64) -> Self {
        Self(seconds.div_euclid(SECONDS_PER_DAY))
    }

    pub fn start_unix_seconds(self) -> i64 {
        self.0 * SECONDS_PER_DAY
    }

    /// When the cache may drop the day's salt: the next midnight plus the grace.
    pub fn salt_expiry_unix_seconds(self) -> i64 {
        self.start_unix_seconds() + SECONDS_PER_DAY + GRACE_SECONDS
    }

    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// The day's cache key; years outside 0..=9999 are written modulo 10,000 (no salt of
    /// such a day is ever asked for: httpd's clock is the system's).
    pub fn cache_key(self) -> [u8; CACHE_KEY_LEN] {
        let (year, month, day) = civil_from_days(self.0);
        let mut key = [0u8; CACHE_KEY_LEN];
        key[..CACHE_KEY_PREFIX.len()].copy_from_slice(CACHE_KEY_PREFIX);
        let date = &mut key[CACHE_KEY_PREFIX.len()..];
        put_digits(&mut date[0..4], year.rem_euclid(10_000) as u32);
        date[4] = b'-';
        put_digits(&mut date[5..7], month as u32);
        date[7] = b'-';
        put_digits(&mut date[8..10], u32::from(day));
        key
    }
}

/// `value` in decimal, zero-padded to `out`'s length.
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02T00:00:00Z.
    const MIDNIGHT: i64 = 1_796_169_600;

    #[test]
    fn the_day_turns_at_utc_midnight() {
        let before = UtcDay::of_unix_seconds(MIDNIGHT - 1);
        let at = UtcDay::of_unix_seconds(MIDNIGHT);
        assert_eq!(before.next(), at);
        assert_eq!(UtcDay::of_unix_seconds(MIDNIGHT + SECONDS_PER_DAY - 1), at);
        assert_eq!(at.start_unix_seconds(), MIDNIGHT);
        assert_eq!(UtcDay::of_unix_seconds(0), UtcDay(0));
        assert_eq!(UtcDay::of_unix_seconds(-1), UtcDay(-1));
    }

    #[test]
    fn cache_keys_name_the_date() {
        assert_eq!(&UtcDay::of_unix_seconds(MIDNIGHT - 1).cache_key(), b"usertrack-rs:cookieless-salt:2026-12-01");
        assert_eq!(&UtcDay::of_unix_seconds(MIDNIGHT).cache_key(), b"usertrack-rs:cookieless-salt:2026-12-02");
        assert_eq!(&UtcDay::of_unix_seconds(0).cache_key(), b"usertrack-rs:cookieless-salt:1970-01-01");
    }

    #[test]
    fn a_salt_expires_after_its_day_and_the_grace() {
        let day = UtcDay::of_unix_seconds(MIDNIGHT + 5);
        assert_eq!(day.salt_expiry_unix_seconds(), MIDNIGHT + SECONDS_PER_DAY + GRACE_SECONDS);
    }
}
