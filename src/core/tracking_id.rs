//! Minting a new tracking ID: `<random 32 bits>.<request time in µs>`, both lower-case hex
//! without zero padding, the shape stock httpd 2.4 uses (`%x.%lx`), so log tooling built for
//! the stock module keeps working.

use super::byte_writer::ByteWriter;

/// 8 hex digits, a dot, 16 hex digits.
pub const MAX_ID_LEN: usize = 25;

pub trait RandomSource {
    /// `None` when no random bits can be had (the OS refused a seed).
    fn try_next_u32(&mut self) -> Option<u32>;
}

/// Writes a fresh ID into `out` and returns its length. `now_us` is asked only when httpd gave
/// no request time, as in stock.
pub fn mint_id(
    random: &mut impl RandomSource,
    request_time_us: u64,
    now_us: impl FnOnce() -> u64,
    out: &mut [u8; MAX_ID_LEN],
) -> Option<usize> {
    let random_bits = random.try_next_u32()?;
    let time_us = if request_time_us != 0 { request_time_us } else { now_us() };
    let mut writer = ByteWriter::new(out);
    writer.put_hex(u64::from(random_bits));
    writer.put(b".");
    writer.put_hex(time_us);
    Some(writer.written())
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
