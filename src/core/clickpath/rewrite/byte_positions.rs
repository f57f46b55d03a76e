//! Finding bytes over the short distances of a page's markup: every `<` of a piece, and the
//! first of a few bytes (the end of a value, the next `h` of a tag). A page has a tag every few
//! dozen bytes, too close together for a `memchr` call each to pay for its set-up: these
//! compare 16 bytes at a time into a bit mask (SSE2, always present on x86_64; a plain loop
//! elsewhere).

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
    let quarter = |index: usize| {
        let lanes: &[u8; 16] = block[16 * index..16 * index + 16].try_into().expect("16 of 64 bytes");
        u64::from(move_mask_i8_m128i(cmp_eq_mask_i8_m128i(load_unaligned_m128i(lanes), wanted)) as u16)
    };
    quarter(0) | quarter(1) << 16 | quarter(2) << 32 | quarter(3) << 48
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn full_block_mask(block: &[u8; 64], byte: u8) -> u64 {
    block.iter().enumerate().fold(0, |mask, (index, &each)| mask | u64::from(each == byte) << index)
}

/// The first position in `text` of any of `bytes`.
pub fn first_of<const N: usize>(text: &[u8], bytes: [u8; N]) -> Option<usize> {
    let mut chunks = text.chunks_exact(16);
    for (index, chunk) in chunks.by_ref().enumerate() {
        let mask = chunk_mask(chunk.try_into().unwrap_or(&[0; 16]), bytes);
        if mask != 0 {
            return Some(16 * index + mask.trailing_zeros() as usize);
        }
    }
    let tail = chunks.remainder();
    let tail_start = text.len() - tail.len();
    tail.iter().position(|byte| bytes.contains(byte)).map(|at| tail_start + at)
}

/// Bit i set: `chunk[i]` is one of `bytes`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn chunk_mask<const N: usize>(chunk: &[u8; 16], bytes: [u8; N]) -> u32 {
    use safe_arch::{bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i, zeroed_m128i};
    let lanes = load_unaligned_m128i(chunk);
    let hits = bytes.iter().fold(zeroed_m128i(), |hits, &byte| bitor_m128i(hits, cmp_eq_mask_i8_m128i(lanes, set_splat_i8_m128i(byte as i8))));
    move_mask_i8_m128i(hits) as u32
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn chunk_mask<const N: usize>(chunk: &[u8; 16], bytes: [u8; N]) -> u32 {
    chunk.iter().enumerate().fold(0, |mask, (index, each)| mask | u32::from(bytes.contains(each)) << index)
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
        fn the_first_of_a_few_bytes_as_a_plain_search(text in prop::collection::vec(prop::sample::select(vec![b'h', b'H', b'\n', b'"', b'x', 0xe8]), 0..100)) {
            prop_assert_eq!(first_of(&text, [b'h', b'H', b'\n']), text.iter().position(|b| b"hH\n".contains(b)));
            prop_assert_eq!(first_of(&text, [b'"', b'\n']), text.iter().position(|b| b"\"\n".contains(b)));
        }

        #[test]
        fn the_same_positions_as_a_plain_search(text in prop::collection::vec(prop::sample::select(vec![b'<', b'>', b'a', 0xbc, 0x3c | 0x80]), 0..700)) {
            let expected: Vec<usize> = text.iter().enumerate().filter(|&(_, &byte)| byte == b'<').map(|(at, _)| at).collect();
            prop_assert_eq!(BytePositions::new(&text, b'<').collect::<Vec<_>>(), expected);
        }
    }
}
