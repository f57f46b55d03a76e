//! Minting a new tracking ID: `<random 32 bits>.<request time in µs>`, both lower-case hex
//! without zero padding, the shape stock httpd 2.4 uses (`%x.%lx`), so log tooling built for
//! the stock module keeps working.

use super::cookie_value::{CookieValue, ID_BLOCK_LEN, VALUE_CAPACITY};
use super::hex::hex_digits;

/// 8 hex digits, a dot, 16 hex digits.
pub const MAX_ID_LEN: usize = 25;
const _: () = assert!(MAX_ID_LEN < ID_BLOCK_LEN, "an ID and its scratch bytes fit one block");

pub trait RandomSource {
    /// `None` when no random bits can be had (the OS refused a seed).
    fn try_next_u32(&mut self) -> Option<u32>;

    /// Fills `out` with random bytes (UUIDs take 10 or 16); false, `out` unspecified, when no
    /// random bits can be had.
    fn try_fill(&mut self, out: &mut [u8]) -> bool;
}

/// The 16 hex digits of `value` (with leading zeros), then 16 bytes of padding, so that any 16
/// bytes from the first significant digit can be copied as one fixed-size block.
#[inline(always)]
fn padded_hex_digits(value: u64) -> [u8; 32] {
    let mut digits = [0u8; 32];
    digits[..16].copy_from_slice(&hex_digits(value));
    digits
}

/// How many hex digits `%x` prints for `value`.
fn hex_len(value: u64) -> usize {
    (16 - value.leading_zeros() as usize / 4).max(1)
}

/// `%x` of `value` into `out[at..]`, returning where it ends. Writes 16 bytes whatever the
/// length: the ones past the digits are scratch for the next write to overwrite.
#[inline(always)]
fn put_hex(out: &mut [u8; ID_BLOCK_LEN], at: usize, value: u64) -> usize {
    let len = hex_len(value);
    out[at..][..16].copy_from_slice(&padded_hex_digits(value)[16 - len..][..16]);
    at + len
}

/// A fresh ID. `now_us` is asked only when httpd gave no request time, as in stock.
pub fn mint_id(random: &mut impl RandomSource, request_time_us: u64, now_us: impl FnOnce() -> u64) -> Option<CookieValue> {
    let random_bits = random.try_next_u32()?;
    let time_us = if request_time_us != 0 { request_time_us } else { now_us() };

    let mut block = [0; VALUE_CAPACITY];
    let id: &mut [u8; ID_BLOCK_LEN] = block.first_chunk_mut().expect("a value holds a short block");
    let dot = put_hex(id, 0, u64::from(random_bits));
    id[dot] = b'.';
    let len = put_hex(id, dot + 1, time_us);
    // The scratch bytes after the ID are cleared: a short value's block is the value and zeros.
    id[len..].fill(0);
    Some(CookieValue::from_block(block, len))
}

/// A random source for tests: always the same value (its low byte for `try_fill`), or none.
#[cfg(test)]
pub(crate) struct FixedRandom(pub Option<u32>);

#[cfg(test)]
impl RandomSource for FixedRandom {
    fn try_next_u32(&mut self) -> Option<u32> {
        self.0
    }
    fn try_fill(&mut self, out: &mut [u8]) -> bool {
        self.0.inspect(|&value| out.fill(value as u8)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(random: u32, request_time_us: u64, now_us: u64) -> String {
        let id = mint_id(&mut FixedRandom(Some(random)), request_time_us, || now_us).unwrap();
        assert_eq!(&id.short_block().unwrap()[..id.len()], id.bytes());
        String::from_utf8(id.bytes().to_vec()).unwrap()
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
        assert!(mint_id(&mut FixedRandom(None), 1, || 1).is_none());
    }
}
