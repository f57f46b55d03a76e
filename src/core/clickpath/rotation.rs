//! The character rotation every session ID goes through (spec §3.3): each character of the
//! 65-character alphabet `A–Z a–z 0–9 @ - ,` moves 13 places; anything else stays.

const ALPHABET: &[u8; 65] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-,";
const SHIFT: usize = 13;

/// Position of each byte in the alphabet, or `NONE`.
const NONE: u8 = 0xff;
const POSITIONS: [u8; 256] = {
    let mut table = [NONE; 256];
    let mut index = 0;
    while index < ALPHABET.len() {
        table[ALPHABET[index] as usize] = index as u8;
        index += 1;
    }
    table
};

const fn shifted_table(by: usize) -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        let position = POSITIONS[byte];
        table[byte] = if position == NONE { byte as u8 } else { ALPHABET[(position as usize + by) % ALPHABET.len()] };
        byte += 1;
    }
    table
}

const FORWARD: [u8; 256] = shifted_table(SHIFT);
const BACKWARD: [u8; 256] = shifted_table(ALPHABET.len() - SHIFT);

/// Encoding direction: 13 places later.
pub fn rotate(bytes: &mut [u8]) {
    for byte in bytes {
        *byte = FORWARD[*byte as usize];
    }
}

/// Decoding direction: 13 places earlier.
pub fn unrotate(bytes: &mut [u8]) {
    for byte in bytes {
        *byte = BACKWARD[*byte as usize];
    }
}

/// One byte, decoding direction (for decoders that read the ID without copying it first).
pub fn unrotate_byte(byte: u8) -> u8 {
    BACKWARD[byte as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotated(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        rotate(&mut bytes);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_spec_examples() {
        for (plain, encoded) in [("A", "N"), ("1", "B"), (",", "M"), ("x", "@"), ("y", "-"), ("test", "6r56"), ("fwAAAQ", "s9NNNd")] {
            assert_eq!(rotated(plain), encoded, "{plain}");
        }
    }

    #[test]
    fn other_characters_pass_unchanged() {
        assert_eq!(rotated(":*!.=/+ \u{e9}"), ":*!.=/+ \u{e9}");
    }

    #[test]
    fn unrotate_inverts_rotate_for_every_byte() {
        let mut all: Vec<u8> = (0..=255).collect();
        rotate(&mut all);
        unrotate(&mut all);
        assert_eq!(all, (0..=255).collect::<Vec<u8>>());
        assert!((0..=255u8).all(|byte| unrotate_byte(FORWARD[byte as usize]) == byte));
    }

    #[test]
    fn the_alphabet_wraps_around() {
        assert_eq!(rotated(","), "M");
        assert_eq!(rotated("@-"), "KL");
        assert_eq!(rotated("z"), ","); // z is 13 before the end of the 65
    }
}
