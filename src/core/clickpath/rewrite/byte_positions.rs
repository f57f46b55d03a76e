//! Every position of one byte (the `<` of tags) in a text, in order. A page has a tag every few
//! dozen bytes, too close together for a `memchr` call per tag to pay for its set-up: this
//! compares 64 bytes at a time into a bit mask (SSE2, always present on x86_64; a plain loop
//! elsewhere) and hands out its bits.

/// Bit i set: `text[start + i] == byte`, for the up to 64 bytes from `start`.
fn mask_at(text: &[u8], start: usize, byte: u8) -> u64 {
    let block = &text[start..text.len().min(start + 64)];
    match <&[u8; 64]>::try_from(block) {
        Ok(full) => full_block_mask(full, byte),
        Err(_) => block.iter().enumerate().fold(0, |mask, (index, &each)| mask | u64::from(each == byte) << index),
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn full_block_mask(block: &[u8; 64], byte: u8) -> u64 {
    use safe_arch::{cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i};
    let wanted = set_splat_i8_m128i(byte as i8);
    let mut mask = 0u64;
    for (index, chunk) in block.chunks_exact(16).enumerate() {
        let lanes = load_unaligned_m128i(chunk.try_into().unwrap_or(&[0; 16]));
        let bits = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(lanes, wanted)) as u16;
        mask |= u64::from(bits) << (16 * index);
    }
    mask
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn full_block_mask(block: &[u8; 64], byte: u8) -> u64 {
    block.iter().enumerate().fold(0, |mask, (index, &each)| mask | u64::from(each == byte) << index)
}

/// The positions of `byte` in `text`, ascending.
pub struct BytePositions<'t> {
    text: &'t [u8],
    byte: u8,
    block_start: usize,
    mask: u64,
}

impl<'t> BytePositions<'t> {
    pub fn new(text: &'t [u8], byte: u8) -> Self {
        let mask = if text.is_empty() { 0 } else { mask_at(text, 0, byte) };
        Self { text, byte, block_start: 0, mask }
    }
}

impl Iterator for BytePositions<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.block_start += 64;
            if self.block_start >= self.text.len() {
                return None;
            }
            self.mask = mask_at(self.text, self.block_start, self.byte);
        }
        let offset = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.block_start + offset)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn block_edges() {
        let mut text = vec![b'x'; 200];
        for at in [0, 15, 16, 63, 64, 127, 128, 199] {
            text[at] = b'<';
        }
        assert_eq!(BytePositions::new(&text, b'<').collect::<Vec<_>>(), [0, 15, 16, 63, 64, 127, 128, 199]);
        assert_eq!(BytePositions::new(b"", b'<').count(), 0);
        assert_eq!(BytePositions::new(&[b'<'; 64], b'<').count(), 64);
    }

    proptest! {
        #[test]
        fn the_same_positions_as_a_plain_search(text in prop::collection::vec(prop::sample::select(vec![b'<', b'>', b'a', 0xbc, 0x3c | 0x80]), 0..700)) {
            let expected: Vec<usize> = text.iter().enumerate().filter(|&(_, &byte)| byte == b'<').map(|(at, _)| at).collect();
            prop_assert_eq!(BytePositions::new(&text, b'<').collect::<Vec<_>>(), expected);
        }
    }
}
