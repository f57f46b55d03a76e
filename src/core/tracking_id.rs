//! Minting a new tracking ID: `<random 32 bits>.<request time in µs>`, both lower-case hex
//! without zero padding, the shape stock httpd 2.4 uses (`%x.%lx`), so log tooling built for
//! the stock module keeps working.

/// 8 hex digits, a dot, 16 hex digits.
pub const MAX_ID_LEN: usize = 25;

pub trait RandomSource {
    /// `None` when no random bits can be had (the OS refused a seed).
    fn try_next_u32(&mut self) -> Option<u32>;
}

/// The 8 lower-case hex digits of `value`, as ASCII in a big-endian word, computed eight at a
/// time: each nibble is spread into its own byte, then turned into ASCII without branches.
fn hex_digits(value: u32) -> u64 {
    let mut x = u64::from(value);
    x = ((x & 0xffff_0000) << 16) | (x & 0x0000_ffff);
    x = ((x & 0x0000_ff00_0000_ff00) << 8) | (x & 0x0000_00ff_0000_00ff);
    x = ((x & 0x00f0_00f0_00f0_00f0) << 4) | (x & 0x000f_000f_000f_000f);
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    x + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64
}

/// How many hex digits `%x` prints for `value`.
fn hex_len(value: u64) -> usize {
    (16 - value.leading_zeros() as usize / 4).max(1)
}

/// Writes a fresh ID into `out` and returns its length; the bytes after it are scratch. `now_us`
/// is asked only when httpd gave no request time, as in stock.
///
/// Each part's digits are computed at full width and shifted left past the leading zeros, so
/// that each part is one fixed-size store; the next part overwrites the surplus.
pub fn mint_id(
    random: &mut impl RandomSource,
    request_time_us: u64,
    now_us: impl FnOnce() -> u64,
    out: &mut [u8; MAX_ID_LEN],
) -> Option<usize> {
    let random_bits = random.try_next_u32()?;
    let time_us = if request_time_us != 0 { request_time_us } else { now_us() };

    let random_len = hex_len(u64::from(random_bits));
    let random_digits = hex_digits(random_bits) << (8 * (8 - random_len));
    let time_len = hex_len(time_us);
    let time_digits = (u128::from(hex_digits((time_us >> 32) as u32)) << 64 | u128::from(hex_digits(time_us as u32)))
        << (8 * (16 - time_len));

    out[..8].copy_from_slice(&random_digits.to_be_bytes());
    out[random_len] = b'.';
    out[random_len + 1..][..16].copy_from_slice(&time_digits.to_be_bytes());
    Some(random_len + 1 + time_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Option<u32>);
    impl RandomSource for Fixed {
        fn try_next_u32(&mut self) -> Option<u32> {
            self.0
        }
    }

    fn mint(random: u32, request_time_us: u64, now_us: u64) -> String {
        let mut out = [0u8; MAX_ID_LEN];
        let n = mint_id(&mut Fixed(Some(random)), request_time_us, || now_us, &mut out).unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    #[test]
    fn stock_shape() {
        assert_eq!(mint(0xe679234d, 0x660d2e8448362, 1), "e679234d.660d2e8448362");
        assert_eq!(mint(0xd2e9002, 0x660d2e900a927, 1), "d2e9002.660d2e900a927");
        assert_eq!(mint(0, 1, 7), "0.1");
        assert_eq!(mint(u32::MAX, u64::MAX, 7).len(), MAX_ID_LEN);
    }

    /// Every digit count of both parts, against Rust's own `{:x}`.
    #[test]
    fn every_digit_count_matches_printf() {
        let randoms = (0..32).map(|bits| (1u64 << bits) as u32).chain([0, 0xf, u32::MAX, 0x0123_4567, 0x89ab_cdef]);
        for random in randoms {
            for time in (0..64).map(|bits| 1u64 << bits).chain([1, 0xf, u64::MAX, 0x0123_4567_89ab_cdef]) {
                assert_eq!(mint(random, time, 1), format!("{random:x}.{time:x}"));
            }
        }
    }

    #[test]
    fn falls_back_to_the_clock_without_a_request_time() {
        assert_eq!(mint(1, 0, 0xabc), "1.abc");
    }

    #[test]
    fn no_id_without_random_bits() {
        let mut out = [0u8; MAX_ID_LEN];
        assert_eq!(mint_id(&mut Fixed(None), 1, || 1, &mut out), None);
    }
}
