//! The visitor ID formats `CookieIDFormat` chooses between, their writers, and the one shape check
//! that recognises all of them.
//!
//! - `apache`: stock httpd 2.4's `<random hex>.<µs hex>`, minted by `tracking_id::mint_id`.
//! - `legacy`: httpd 2.0/2.2's `<client IP>.<decimal µs>`, which Perl's Apache::Session (and
//!   log tooling of that era) validates with `^[\d\w\.]+\.\d+$`.
//! - `uuid`, `uuid7`: RFC 9562 versions 4 and 7, lower-case, 36 characters.
//!
//! Every writer fills a fixed-capacity `FormattedId` (no heap: they run per request and the
//! result is copied into APR pool memory). `has_id_shape` accepts the shape of every format, so
//! an admin who changes `CookieIDFormat` keeps the visitors who hold an ID of the old one.

use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr};

use super::byte_writer::ByteWriter;
use super::hex::hex_digits;

/// The longest ID any format writes: a full IPv6 address (39), a dot and 20 digits for `legacy`.
pub const MAX_FORMATTED_ID_LEN: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdFormat {
    Apache,
    Legacy,
    Uuid,
    Uuid7,
}

impl IdFormat {
    const ALL: [Self; 4] = [Self::Apache, Self::Legacy, Self::Uuid, Self::Uuid7];

    /// `CookieIDFormat`'s argument, case-insensitively.
    pub fn parse(arg: &[u8]) -> Result<Self, IdFormatError> {
        Self::ALL
            .into_iter()
            .find(|format| arg.eq_ignore_ascii_case(format.keyword().as_bytes()))
            .ok_or_else(|| IdFormatError::UnknownKeyword { given: String::from_utf8_lossy(arg).into_owned() })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Self::Apache => "apache",
            Self::Legacy => "legacy",
            Self::Uuid => "uuid",
            Self::Uuid7 => "uuid7",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdFormatError {
    UnknownKeyword { given: String },
}

impl fmt::Display for IdFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKeyword { given } => {
                write!(f, "CookieIDFormat \"{given}\" is not one of apache, legacy, uuid, uuid7")
            }
        }
    }
}

impl std::error::Error for IdFormatError {}

/// A minted ID of any format. Plain bytes and a length: it owns no heap memory, so copying it
/// into a pool needs no destructor.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FormattedId {
    bytes: [u8; MAX_FORMATTED_ID_LEN],
    len: u8,
}

impl FormattedId {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Panics if `write` goes past `MAX_FORMATTED_ID_LEN`: every writer here is sized to fit.
    fn written_by(write: impl FnOnce(&mut ByteWriter)) -> Self {
        let mut bytes = [0; MAX_FORMATTED_ID_LEN];
        let mut out = ByteWriter::new(&mut bytes);
        write(&mut out);
        let len = out.written() as u8;
        Self { bytes, len }
    }
}

impl fmt::Debug for FormattedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FormattedId({:?})", String::from_utf8_lossy(self.bytes()))
    }
}

// ---- legacy -------------------------------------------------------------------------------

/// What `legacy` writes for a client address that is not an IP address. httpd hands modules the
/// connection's numeric address, so this only happens if another module rewrote it into
/// something else; the ID stays unique through its microseconds (handed out by
/// `unique_clock`), and the value stays a valid cookie that Apache::Session accepts.
pub const LEGACY_FALLBACK_ADDRESS: &[u8] = b"0.0.0.0";

/// Longer than any textual IP address with a zone: not worth parsing.
const MAX_CLIENT_IP_LEN: usize = 64;

/// The client address as `legacy` writes it: IPv4 (also an IPv4-mapped IPv6 address) dotted,
/// other IPv6 addresses in their RFC 5952 form with `_` for `:` and without a zone (`%eth0`),
/// anything else as `LEGACY_FALLBACK_ADDRESS`. IPv6 colons would make the value fail
/// Apache::Session's `^[\d\w\.]+\.\d+$`; `_` is a word character and a cookie-octet.
fn legacy_address(client_ip: &[u8]) -> FormattedId {
    let mut address = FormattedId::written_by(|out| match parse_client_ip(client_ip) {
        Some(IpAddr::V4(v4)) => put_ipv4(out, v4),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => put_ipv4(out, v4),
            // The RFC 5952 form has no dot unless IPv4-mapped, which is handled above.
            None => write!(out, "{v6}").expect("ByteWriter never fails"),
        },
        None => out.put(LEGACY_FALLBACK_ADDRESS),
    });
    let len = usize::from(address.len);
    address.bytes[..len].iter_mut().filter(|byte| **byte == b':').for_each(|byte| *byte = b'_');
    address
}

fn parse_client_ip(client_ip: &[u8]) -> Option<IpAddr> {
    if client_ip.len() > MAX_CLIENT_IP_LEN {
        return None;
    }
    let without_zone = client_ip.split(|&byte| byte == b'%').next()?;
    std::str::from_utf8(without_zone).ok()?.parse().ok()
}

fn put_ipv4(out: &mut ByteWriter, address: Ipv4Addr) {
    let [a, b, c, d] = address.octets();
    for (octet, separator) in [(a, &b"."[..]), (b, b"."), (c, b"."), (d, b"")] {
        out.put_decimal(u64::from(octet));
        out.put(separator);
    }
}

/// httpd 2.0/2.2's ID: `<client IP>.<decimal µs>` (see `legacy_address` for the IP part).
/// `time_us` should come from `unique_clock::next_unique_us`: two visitors behind one address
/// in the same microsecond would otherwise get the same ID.
pub fn legacy_id(client_ip: &[u8], time_us: u64) -> FormattedId {
    let address = legacy_address(client_ip);
    FormattedId::written_by(|out| {
        out.put(address.bytes());
        out.put(b".");
        out.put_decimal(time_us);
    })
}

// ---- uuid, uuid7 --------------------------------------------------------------------------

/// Sets RFC 9562's version nibble and the `10` variant bits, and writes the 8-4-4-4-12 form.
fn uuid_text(mut octets: [u8; 16], version: u8) -> FormattedId {
    octets[6] = (octets[6] & 0x0f) | (version << 4);
    octets[8] = (octets[8] & 0x3f) | 0x80;
    let (high, low) = octets.split_at(8);
    let mut digits = [0u8; 32];
    digits[..16].copy_from_slice(&hex_digits(u64::from_be_bytes(high.try_into().expect("8 bytes"))));
    digits[16..].copy_from_slice(&hex_digits(u64::from_be_bytes(low.try_into().expect("8 bytes"))));
    FormattedId::written_by(|out| {
        out.put(&digits[..8]);
        for group in [&digits[8..12], &digits[12..16], &digits[16..20], &digits[20..]] {
            out.put(b"-");
            out.put(group);
        }
    })
}

/// RFC 9562 version 4: 122 of the 128 `random` bits, the other 6 are version and variant.
pub fn uuid_v4(random: [u8; 16]) -> FormattedId {
    uuid_text(random, 4)
}

/// RFC 9562 version 7: the low 48 bits of `unix_ms` big-endian, then version 7, 12 bits of
/// `rand_a`, the variant and 62 bits of `rand_b`, taken in order from `random` (its first
/// nibble and the top two bits of its third byte give way to version and variant).
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> FormattedId {
    let mut octets = [0u8; 16];
    octets[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    octets[6..].copy_from_slice(&random);
    uuid_text(octets, 7)
}

// ---- recognising IDs ----------------------------------------------------------------------

/// True iff `value` is shaped like an ID of any format, exactly as the writers produce them:
///
/// - apache: 1–8 lower-case hex digits, `.`, 1–16 lower-case hex digits, neither part with a
///   leading zero unless it is `0` (stock's `%x` and `mint_id` print none);
/// - legacy: what `legacy_id` writes for some address: a dotted quad (each 0–255, no leading
///   zeros) or a canonical (RFC 5952, lower-case) IPv6 address with `_` for `:` that is not
///   IPv4-mapped, then `.`, then 1–20 decimal digits without a leading zero. httpd 2.2's own
///   IPv6 IDs (with colons) are not accepted: such visitors get a new ID;
/// - uuid/uuid7: 36 characters, lower-case 8-4-4-4-12 hex with version nibble 4 or 7 and the
///   RFC variant (`8`, `9`, `a` or `b`). Upper case is refused, as no writer produces it.
///
/// Anything longer than `MAX_FORMATTED_ID_LEN` is refused before it is read.
pub fn has_id_shape(value: &[u8]) -> bool {
    value.len() <= MAX_FORMATTED_ID_LEN && (has_apache_shape(value) || has_uuid_shape(value) || has_legacy_shape(value))
}

/// Which bytes are digits of a base: one table lookup per byte instead of range comparisons.
struct DigitTable([bool; 256]);

impl DigitTable {
    const fn new(digits: &[u8]) -> Self {
        let mut table = [false; 256];
        let mut at = 0;
        while at < digits.len() {
            table[digits[at] as usize] = true;
            at += 1;
        }
        Self(table)
    }

    /// Whether every byte is a digit. No early exit: the loop is a few instructions a byte, and
    /// an ID is checked whole anyway (this runs on every returning request with CookieValidate).
    #[inline(always)]
    fn all(&self, bytes: &[u8]) -> bool {
        bytes.iter().fold(true, |all, &byte| all & self.0[usize::from(byte)])
    }
}

const LOWER_HEX: DigitTable = DigitTable::new(b"0123456789abcdef");
const DECIMAL: DigitTable = DigitTable::new(b"0123456789");

fn is_lower_hex(byte: u8) -> bool {
    LOWER_HEX.0[usize::from(byte)]
}

/// 1 to `max_len` digits as printf prints a number: no leading zero unless the number is 0.
#[inline(always)]
fn is_printed_number(digits: &[u8], max_len: usize, table: &DigitTable) -> bool {
    (1..=max_len).contains(&digits.len()) && table.all(digits) && (digits[0] != b'0' || digits.len() == 1)
}

fn has_apache_shape(value: &[u8]) -> bool {
    let Some(dot) = memchr::memchr(b'.', value) else { return false };
    is_printed_number(&value[..dot], 8, &LOWER_HEX) && is_printed_number(&value[dot + 1..], 16, &LOWER_HEX)
}

fn has_uuid_shape(value: &[u8]) -> bool {
    const HYPHENS: [usize; 4] = [8, 13, 18, 23];
    value.len() == 36
        && value.iter().enumerate().all(|(at, &byte)| if HYPHENS.contains(&at) { byte == b'-' } else { is_lower_hex(byte) })
        && matches!(value[14], b'4' | b'7')
        && matches!(value[19], b'8' | b'9' | b'a' | b'b')
}

fn has_legacy_shape(value: &[u8]) -> bool {
    let Some(dot) = memchr::memrchr(b'.', value) else { return false };
    let (address, digits) = (&value[..dot], &value[dot + 1..]);
    is_printed_number(digits, 20, &DECIMAL) && is_legacy_address(address)
}

/// True iff `legacy_address` writes `address` back unchanged for the address it stands for:
/// one rule for "canonical", instead of a second description of the writer's output.
fn is_legacy_address(address: &[u8]) -> bool {
    const MAX_ADDRESS_LEN: usize = 39; // 8 groups of 4 hex digits and 7 separators
    if address.len() > MAX_ADDRESS_LEN {
        return false;
    }
    let mut as_typed = [0u8; MAX_ADDRESS_LEN];
    for (typed, &byte) in as_typed.iter_mut().zip(address) {
        *typed = if byte == b'_' { b':' } else { byte };
    }
    // Garbage comes back as the fallback, a zone or colon comes back without: all differ.
    legacy_address(&as_typed[..address.len()]).bytes() == address
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tracking_id::{FixedRandom, mint_id};
    use proptest::prelude::*;
    use regex::bytes::Regex;

    fn text(id: FormattedId) -> String {
        String::from_utf8(id.bytes().to_vec()).unwrap()
    }

    /// Apache::Session::Generate::MD5's and ::ModUniqueId's validate(): `^[\d\w\.]+\.\d+$`.
    fn perl_session_pattern() -> Regex {
        Regex::new(r"(?-u)^[\d\w\.]+\.\d+$").unwrap()
    }

    /// RFC 6265 cookie-octet: US-ASCII except controls, whitespace, `"`, `,`, `;` and `\`.
    fn is_cookie_value(value: &[u8]) -> bool {
        value.iter().all(|&b| matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e))
    }

    #[test]
    fn keywords_parse_case_insensitively() {
        assert_eq!(IdFormat::parse(b"apache"), Ok(IdFormat::Apache));
        assert_eq!(IdFormat::parse(b"LEGACY"), Ok(IdFormat::Legacy));
        assert_eq!(IdFormat::parse(b"Uuid"), Ok(IdFormat::Uuid));
        assert_eq!(IdFormat::parse(b"UUID7"), Ok(IdFormat::Uuid7));
        for format in IdFormat::ALL {
            assert_eq!(IdFormat::parse(format.keyword().as_bytes()), Ok(format));
        }
    }

    #[test]
    fn unknown_keyword_message() {
        for bad in ["uuid4", "", "apache ", "v7"] {
            assert_eq!(
                IdFormat::parse(bad.as_bytes()).unwrap_err().to_string(),
                format!("CookieIDFormat \"{bad}\" is not one of apache, legacy, uuid, uuid7")
            );
        }
    }

    #[test]
    fn legacy_ipv4() {
        assert_eq!(text(legacy_id(b"192.0.2.7", 1_700_000_000_123_456)), "192.0.2.7.1700000000123456");
        assert_eq!(text(legacy_id(b"0.0.0.0", 0)), "0.0.0.0.0");
        assert_eq!(text(legacy_id(b"255.255.255.255", u64::MAX)), "255.255.255.255.18446744073709551615");
    }

    #[test]
    fn legacy_ipv4_mapped_is_written_as_ipv4() {
        assert_eq!(text(legacy_id(b"::ffff:1.2.3.4", 5)), "1.2.3.4.5");
        assert_eq!(text(legacy_id(b"::FFFF:1.2.3.4", 5)), "1.2.3.4.5");
        assert_eq!(text(legacy_id(b"0:0:0:0:0:FfFf:102:304", 5)), "1.2.3.4.5");
    }

    #[test]
    fn legacy_ipv6_has_underscores_and_no_zone() {
        assert_eq!(text(legacy_id(b"2001:db8::1", 9)), "2001_db8__1.9");
        assert_eq!(text(legacy_id(b"2001:DB8:0:0:0:0:0:1", 9)), "2001_db8__1.9");
        assert_eq!(text(legacy_id(b"fe80::1%eth0", 9)), "fe80__1.9");
        assert_eq!(text(legacy_id(b"::1", 9)), "__1.9");
        assert_eq!(text(legacy_id(b"::", 9)), "__.9");
        // IPv4-compatible (deprecated) addresses are plain IPv6 today: no dots in the address.
        assert_eq!(text(legacy_id(b"::1.2.3.4", 9)), "__102_304.9");
        let longest = b"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";
        assert_eq!(legacy_id(longest, u64::MAX).bytes().len(), 39 + 1 + 20);
    }

    #[test]
    fn legacy_falls_back_for_anything_but_an_ip_address() {
        let long = [b'1'; 1000];
        for garbage in [&b""[..], b"garbage", b"1.2.3", b"01.2.3.4", b"1.2.3.4 ", b"[::1]", b"\xff\xfe", b"a b;c", &long] {
            assert_eq!(text(legacy_id(garbage, 42)), "0.0.0.0.42", "{:?}", String::from_utf8_lossy(garbage));
        }
    }

    #[test]
    fn uuid_v4_sets_version_and_variant() {
        // RFC 9562 Appendix A.3: its bits already carry version and variant.
        let example = 0x919108f7_52d1_4320_9bac_f847db4148a8u128.to_be_bytes();
        assert_eq!(text(uuid_v4(example)), "919108f7-52d1-4320-9bac-f847db4148a8");
        assert_eq!(text(uuid_v4([0; 16])), "00000000-0000-4000-8000-000000000000");
        assert_eq!(text(uuid_v4([0xff; 16])), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn uuid_v7_rfc_9562_example() {
        // Appendix A.6: unix_ts_ms 0x017F22E279B0, rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
        let random = [0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f];
        assert_eq!(text(uuid_v7(0x017F_22E2_79B0, random)), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
    }

    #[test]
    fn uuid_v7_keeps_the_low_48_bits_of_time() {
        assert_eq!(text(uuid_v7(0, [0; 10])), "00000000-0000-7000-8000-000000000000");
        assert_eq!(text(uuid_v7(u64::MAX, [0xff; 10])), "ffffffff-ffff-7fff-bfff-ffffffffffff");
        assert_eq!(&text(uuid_v7(0xabcd_0000_0000_0001, [0; 10]))[..13], "00000000-0001");
    }

    #[test]
    fn shapes_accepted() {
        for value in [
            "0.0",
            "d2e9002.660d2e900a927",
            "ffffffff.ffffffffffffffff",
            "192.0.2.7.1700000000123456",
            "0.0.0.0.0",
            "2001_db8__1.9",
            "__1.18446744073709551615",
            "919108f7-52d1-4320-9bac-f847db4148a8",
            "017f22e2-79b0-7cc3-98c4-dc0c0c07398f",
        ] {
            assert!(has_id_shape(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn shapes_refused() {
        for value in [
            "",
            ".",
            "0",
            "abc",
            "01.2",              // apache: leading zero
            "1.02",              // apache: leading zero
            "D2E9002.660D2E900A927",
            "123456789.1",       // apache: 9 random digits
            "1.12345678901234567",
            "256.0.0.1.5",
            "1.2.3.04.5",
            "1.2.3.4.05",
            "1.2.3.4.123456789012345678901", // 21 digits
            "1.2.3.4.",
            "2001:db8::1.9",     // httpd 2.2's colons
            "2001_DB8__1.9",     // not canonical
            "2001_db8_0_0_0_0_0_1.9",
            "__ffff_1.2.3.4.9",  // mapped: we write it as IPv4
            "fe80__1%eth0.9",
            "919108F7-52D1-4320-9BAC-F847DB4148A8",
            "919108f7-52d1-1320-9bac-f847db4148a8", // version 1
            "919108f7-52d1-4320-7bac-f847db4148a8", // NCS variant
            "919108f752d143209bacf847db4148a8",
            "{919108f7-52d1-4320-9bac-f847db4148a8}",
            "x.1",
            "1.1 ",
        ] {
            assert!(!has_id_shape(value.as_bytes()), "{value}");
        }
        assert!(!has_id_shape(&[b'1'; MAX_FORMATTED_ID_LEN + 1]));
    }

    fn ip_text() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|octets| Ipv4Addr::from(octets).to_string().into_bytes()),
            any::<u128>().prop_map(|bits| std::net::Ipv6Addr::from(bits).to_string().into_bytes()),
            any::<[u8; 4]>().prop_map(|octets| Ipv4Addr::from(octets).to_ipv6_mapped().to_string().into_bytes()),
            any::<u128>().prop_map(|bits| format!("{}%eth0", std::net::Ipv6Addr::from(bits)).into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..80),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn legacy_ids_have_the_shape_perl_accepts(ip in ip_text(), time_us: u64) {
            let id = legacy_id(&ip, time_us);
            prop_assert!(has_id_shape(id.bytes()), "{:?}", id);
            prop_assert!(perl_session_pattern().is_match(id.bytes()), "{:?}", id);
            prop_assert!(is_cookie_value(id.bytes()), "{:?}", id);
        }

        #[test]
        fn every_writer_output_has_the_shape(random: u32, time_us: u64, unix_ms: u64, v4: [u8; 16], v7: [u8; 10]) {
            let apache = mint_id(&mut FixedRandom(Some(random)), time_us.max(1), || 1).unwrap();
            prop_assert!(has_id_shape(apache.bytes()), "{:?}", apache);
            for id in [uuid_v4(v4), uuid_v7(unix_ms, v7)] {
                prop_assert!(has_id_shape(id.bytes()), "{:?}", id);
                prop_assert!(is_cookie_value(id.bytes()), "{:?}", id);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(value in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = has_id_shape(&value);
            let _ = legacy_id(&value, 1);
        }

        #[test]
        fn id_like_bytes_never_panic(value in "[0-9a-f._:%-]{0,70}") {
            let _ = has_id_shape(value.as_bytes());
        }
    }
}
