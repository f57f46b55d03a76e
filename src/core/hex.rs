//! Lower-case hex digits of a 64-bit value, all 16 of them, leading zeros included.
//!
//! IDs are two hex numbers, formatted for every new visitor. With SSE2 (always present on
//! x86_64) all 16 digits come from one register in about ten instructions; elsewhere a table of
//! digit pairs does it a byte at a time.

/// The 16 digits of `value`, most significant first.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub fn hex_digits(value: u64) -> [u8; 16] {
    use safe_arch::{
        add_i8_m128i, bitand_m128i, cmp_gt_mask_i8_m128i, set_i64_m128i_s, set_splat_i8_m128i, shr_imm_u16_m128i,
        unpack_low_i8_m128i,
    };
    // Byte i of the register is the value's i-th most significant byte.
    let bytes = set_i64_m128i_s(value.swap_bytes() as i64);
    let nibble_mask = set_splat_i8_m128i(0x0f);
    let high_nibbles = bitand_m128i(shr_imm_u16_m128i::<4>(bytes), nibble_mask);
    let low_nibbles = bitand_m128i(bytes, nibble_mask);
    let nibbles = unpack_low_i8_m128i(high_nibbles, low_nibbles);
    let is_letter = cmp_gt_mask_i8_m128i(nibbles, set_splat_i8_m128i(9));
    let letter_offset = bitand_m128i(is_letter, set_splat_i8_m128i((b'a' - b'0' - 10) as i8));
    add_i8_m128i(add_i8_m128i(nibbles, set_splat_i8_m128i(b'0' as i8)), letter_offset).into()
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub use portable_hex_digits as hex_digits;

/// The two lower-case hex digits of every byte value.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
const HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [digits[byte >> 4], digits[byte & 15]];
        byte += 1;
    }
    pairs
};

/// `hex_digits` without SIMD.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
pub fn portable_hex_digits(value: u64) -> [u8; 16] {
    let mut digits = [0u8; 16];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(value.to_be_bytes()) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interesting_values() -> impl Iterator<Item = u64> {
        let powers = (0..64).map(|bit| 1u64 << bit);
        let below_powers = (0..64).map(|bit| (1u64 << bit) - 1);
        // Every nibble value in every position, and an LCG's worth of mixed values.
        let nibbles = (0..16).flat_map(|digit| (0..16).map(move |position| digit << (4 * position)));
        let mixed = (0..10_000u64).scan(0x9e37_79b9_7f4a_7c15u64, |state, _| {
            *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            Some(*state)
        });
        powers.chain(below_powers).chain(nibbles).chain(mixed).chain([u64::MAX, 0x0123_4567_89ab_cdef])
    }

    #[test]
    fn matches_printf() {
        for value in interesting_values() {
            assert_eq!(hex_digits(value), *format!("{value:016x}").as_bytes(), "{value:#x}");
        }
    }

    #[test]
    fn portable_matches_printf() {
        for value in interesting_values() {
            assert_eq!(portable_hex_digits(value), *format!("{value:016x}").as_bytes(), "{value:#x}");
        }
    }
}
