//! Appends bytes into a caller-provided buffer, so formatting needs no heap.

use std::fmt;

/// "00", "01", … "99" back to back.
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        pairs[2 * n] = b'0' + (n / 10) as u8;
        pairs[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    pairs
};

pub struct ByteWriter<'a> {
    buffer: &'a mut [u8],
    written: usize,
}

impl<'a> ByteWriter<'a> {
    pub fn new(buffer: &'a mut [u8]) -> Self {
        Self { buffer, written: 0 }
    }

    /// Panics if the buffer is too small: callers size it from the matching `max_*_len`.
    #[inline]
    pub fn put(&mut self, bytes: &[u8]) {
        self.buffer[self.written..self.written + bytes.len()].copy_from_slice(bytes);
        self.written += bytes.len();
    }

    /// Two digits per division: request times have ten, and this runs for every request.
    pub fn put_decimal(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = value;
        while rest >= 100 {
            let pair = 2 * (rest % 100) as usize;
            rest /= 100;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        }
        if rest >= 10 {
            let pair = 2 * rest as usize;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        } else {
            start -= 1;
            digits[start] = b'0' + rest as u8;
        }
        self.put(&digits[start..]);
    }

    pub fn written(&self) -> usize {
        self.written
    }
}

/// For `Display` types (IP addresses): `core::fmt` writes straight into the buffer, no heap.
impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.put(text.as_bytes());
        Ok(())
    }
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
        assert_eq!(render(|w| w.put_decimal(u64::MAX)), "18446744073709551615");
        for value in [1, 9, 10, 11, 99, 100, 101, 999, 1000, 1_121_948_895, 10_000_000_000] {
            assert_eq!(render(|w| w.put_decimal(value)), value.to_string());
        }
    }

    #[test]
    fn display_types_write_into_the_buffer() {
        use std::fmt::Write;
        assert_eq!(render(|w| write!(w, "{}", std::net::Ipv6Addr::LOCALHOST).unwrap()), "::1");
    }

    #[test]
    #[should_panic]
    fn overflowing_the_buffer_panics_rather_than_truncating() {
        let mut buffer = [0u8; 2];
        ByteWriter::new(&mut buffer).put(b"abc");
    }
}
