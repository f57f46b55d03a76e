//! Helpers for mod_usertrack values: the ID shape, its timestamp, the old
//! Netscape `expires=` date and httpd's log escaping.

/// `^[0-9a-f]{1,8}\.[0-9a-f]{13,16}$`
pub fn is_id(s: &str) -> bool {
    let Some((r, t)) = s.split_once('.') else {
        return false;
    };
    let hex = |x: &str| {
        x.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (1..=8).contains(&r.len()) && (13..=16).contains(&t.len()) && hex(r) && hex(t)
}

/// The request time (µs since the epoch) encoded in an ID.
pub fn id_time_us(s: &str) -> Option<i64> {
    if !is_id(s) {
        return None;
    }
    let (_, t) = s.split_once('.')?;
    i64::from_str_radix(t, 16).ok()
}

/// The random part of an ID.
pub fn id_random(s: &str) -> Option<&str> {
    if !is_id(s) {
        return None;
    }
    s.split_once('.').map(|(r, _)| r)
}

const WDAY: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MON: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `Www, DD-Mon-YY hh:mm:ss GMT` (two-digit year = years since 1900 mod 100).
pub fn netscape_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86400);
    let secs = epoch.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let wday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    format!(
        "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
        WDAY[wday],
        d,
        MON[(m - 1) as usize],
        (y - 1900).rem_euclid(100),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// RFC 1123 date as in HTTP headers: `Sun, 22 Nov 2026 00:54:42 GMT`.
pub fn http_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86400);
    let secs = epoch.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let wday = (days + 4).rem_euclid(7) as usize;
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WDAY[wday],
        d,
        MON[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses a Netscape date strictly: picks the century closest to `near`
/// and requires that formatting the result gives back exactly `s`
/// (weekday, zero padding, spacing).
pub fn parse_netscape_date(s: &str, near: i64) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 27 || &s[3..5] != ", " || b[7] != b'-' || b[11] != b'-' || !s.ends_with(" GMT") {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let d = num(5..7)?;
    let mon = MON.iter().position(|m| *m == &s[8..11])? as i64 + 1;
    let yy = num(12..14)?;
    let hh = num(15..17)?;
    let mi = num(18..20)?;
    let ss = num(21..23)?;
    let mut best: Option<i64> = None;
    for century in [1900, 2000, 2100] {
        let t = days_from_civil(century + yy, mon, d) * 86400 + hh * 3600 + mi * 60 + ss;
        if best.is_none_or(|b| (t - near).abs() < (b - near).abs()) {
            best = Some(t);
        }
    }
    let t = best?;
    (netscape_date(t) == s).then_some(t)
}

/// httpd's `ap_escape_logitem` (what `%{...}n` writes for a note).
pub fn escape_logitem(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, quote: bool) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b'"' if quote => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\x08' => out.push_str("\\b"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\x0b' => out.push_str("\\v"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// How httpd's error log renders a message (`ap_escape_errorlog_item`):
/// like [`escape_logitem`] but `"` is kept.
pub fn escape_errorlog(s: &str) -> String {
    escape(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_roundtrip() {
        assert_eq!(netscape_date(0), "Thu, 01-Jan-70 00:00:00 GMT");
        let t = 1_795_308_882; // Sun, 22-Nov-26 00:54:42 GMT (spec example)
        assert_eq!(netscape_date(t), "Sun, 22-Nov-26 00:54:42 GMT");
        assert_eq!(
            parse_netscape_date("Sun, 22-Nov-26 00:54:42 GMT", t + 5),
            Some(t)
        );
        assert_eq!(parse_netscape_date("Mon, 22-Nov-26 00:54:42 GMT", t), None);
        assert!(is_id("d2e9002.660d2e900a927"));
        assert!(!is_id("D2e9002.660d2e900a927"));
        assert!(!is_id("123456789.660d2e900a927"));
    }
}
