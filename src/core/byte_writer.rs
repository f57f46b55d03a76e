//! Appends bytes into a caller-provided buffer, so formatting needs no heap.

pub struct ByteWriter<'a> {
    buffer: &'a mut [u8],
    written: usize,
}

impl<'a> ByteWriter<'a> {
    pub fn new(buffer: &'a mut [u8]) -> Self {
        Self { buffer, written: 0 }
    }

    /// Panics if the buffer is too small: callers size it from the matching `max_*_len`.
    pub fn put(&mut self, bytes: &[u8]) {
        self.buffer[self.written..self.written + bytes.len()].copy_from_slice(bytes);
        self.written += bytes.len();
    }

    pub fn put_decimal(&mut self, value: u32) {
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        let mut rest = value;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.put(&digits[start..]);
    }

    /// Lower-case hexadecimal without leading zeros, as C's `%x`.
    pub fn put_hex(&mut self, value: u64) {
        let digits = [hex_digits((value >> 32) as u32), hex_digits(value as u32)];
        let digits = digits.as_flattened();
        let digit_count = (16 - value.leading_zeros() as usize / 4).max(1);
        self.put(&digits[16 - digit_count..]);
    }

    pub fn written(&self) -> usize {
        self.written
    }
}

/// The 8 lower-case hex digits of `value`, computed eight at a time: each nibble is spread into
/// its own byte, then turned into ASCII without branches (on the ID-minting hot path).
fn hex_digits(value: u32) -> [u8; 8] {
    let mut x = u64::from(value);
    x = ((x & 0xffff_0000) << 16) | (x & 0x0000_ffff);
    x = ((x & 0x0000_ff00_0000_ff00) << 8) | (x & 0x0000_00ff_0000_00ff);
    x = ((x & 0x00f0_00f0_00f0_00f0) << 4) | (x & 0x000f_000f_000f_000f);
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::ByteWriter;

    fn render(write: impl FnOnce(&mut ByteWriter)) -> String {
        let mut buffer = [0u8; 64];
        let mut writer = ByteWriter::new(&mut buffer);
        write(&mut writer);
        let n = writer.written();
        String::from_utf8(buffer[..n].to_vec()).unwrap()
    }

    #[test]
    fn numbers_match_printf() {
        assert_eq!(render(|w| w.put_decimal(0)), "0");
        assert_eq!(render(|w| w.put_decimal(4_294_967_295)), "4294967295");
        assert_eq!(render(|w| w.put_hex(0)), "0");
        assert_eq!(render(|w| w.put_hex(0xd2e9002)), "d2e9002");
        assert_eq!(render(|w| w.put_hex(u64::MAX)), "ffffffffffffffff");
        assert_eq!(render(|w| w.put_hex(0xf)), "f");
        assert_eq!(render(|w| w.put_hex(0x10)), "10");
        assert_eq!(render(|w| w.put_hex(0x660d2e8448362)), "660d2e8448362");
        for value in [1u64, 0xff, 0x100, 0xffff_ffff, 0x1_0000_0000, 1 << 63] {
            assert_eq!(render(|w| w.put_hex(value)), format!("{value:x}"));
        }
    }

    #[test]
    fn hex_digits_for_every_nibble_position() {
        for value in [0u32, 0x0123_4567, 0x89ab_cdef, u32::MAX, 0xa0b0_c0d0, 0x0f0f_0f0f] {
            assert_eq!(super::hex_digits(value), format!("{value:08x}").as_bytes());
        }
    }

    #[test]
    #[should_panic]
    fn overflowing_the_buffer_panics_rather_than_truncating() {
        let mut buffer = [0u8; 2];
        ByteWriter::new(&mut buffer).put(b"abc");
    }
}
