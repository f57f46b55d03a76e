//! The date form stock mod_usertrack puts in `expires=`: `Www, DD-Mon-YY hh:mm:ss GMT`, the
//! old Netscape cookie format with a two-digit year, computed without libc or allocation.

pub const NETSCAPE_DATE_LEN: usize = 27;

const WEEKDAYS: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, usize, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as usize;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn two_digits(value: i64) -> [u8; 2] {
    let value = value.rem_euclid(100) as u8;
    [b'0' + value / 10, b'0' + value % 10]
}

/// `seconds` since the Unix epoch, in GMT.
pub fn netscape_date(seconds: i64) -> [u8; NETSCAPE_DATE_LEN] {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = (days + 4).rem_euclid(7) as usize;

    let mut out = *b"Www, DD-Mon-YY hh:mm:ss GMT";
    out[0..3].copy_from_slice(WEEKDAYS[weekday]);
    out[5..7].copy_from_slice(&two_digits(i64::from(day)));
    out[8..11].copy_from_slice(MONTHS[month - 1]);
    out[12..14].copy_from_slice(&two_digits(year));
    out[15..17].copy_from_slice(&two_digits(second_of_day / 3600));
    out[18..20].copy_from_slice(&two_digits(second_of_day / 60 % 60));
    out[21..23].copy_from_slice(&two_digits(second_of_day % 60));
    out
}

#[cfg(test)]
mod tests {
    use super::netscape_date;

    fn date(seconds: i64) -> String {
        String::from_utf8(netscape_date(seconds).to_vec()).unwrap()
    }

    #[test]
    fn known_dates() {
        assert_eq!(date(0), "Thu, 01-Jan-70 00:00:00 GMT");
        assert_eq!(date(951_782_400), "Tue, 29-Feb-00 00:00:00 GMT");
        assert_eq!(date(1_795_308_882), "Sun, 22-Nov-26 00:54:42 GMT");
        assert_eq!(date(1_796_172_939), "Wed, 02-Dec-26 00:55:39 GMT");
        assert_eq!(date(2_147_483_647), "Tue, 19-Jan-38 03:14:07 GMT");
        assert_eq!(date(4_102_444_799), "Thu, 31-Dec-99 23:59:59 GMT");
        assert_eq!(date(4_102_444_800), "Fri, 01-Jan-00 00:00:00 GMT");
    }

    /// Cross-checks every day from 1970 to 2100 against libc's gmtime_r.
    #[test]
    fn agrees_with_gmtime_for_every_day_to_2100() {
        for day in 0..47_482i64 {
            let seconds = day * 86_400 + (day * 7919) % 86_400;
            let mut tm: libc::tm = unsafe { std::mem::zeroed() };
            let t: libc::time_t = seconds;
            assert!(!unsafe { libc::gmtime_r(&t, &mut tm) }.is_null());
            let mut buf = [0u8; 64];
            let n = unsafe {
                libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%a, %d-%b-%y %H:%M:%S GMT".as_ptr(), &tm)
            };
            assert_eq!(date(seconds).as_bytes(), &buf[..n], "at {seconds}");
        }
    }
}
