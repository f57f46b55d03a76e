//! CRC-8/SMBUS (poly 0x07, init 0, no reflection, no final xor): Perl Digest::CRC's `crc8`,
//! which checks the body of every session ID (spec §3.2).

const TABLE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut index = 0;
    while index < 256 {
        let mut crc = index as u8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x80 != 0 { (crc << 1) ^ 0x07 } else { crc << 1 };
            bit += 1;
        }
        table[index] = crc;
        index += 1;
    }
    table
};

pub fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |crc, &byte| TABLE[(crc ^ byte) as usize])
}

#[cfg(test)]
mod tests {
    use super::crc8;

    #[test]
    fn check_value_of_the_catalogue() {
        assert_eq!(crc8(b"123456789"), 0xf4);
    }

    #[test]
    fn crc_of_nothing_is_zero() {
        assert_eq!(crc8(b""), 0);
    }

    #[test]
    fn the_spec_worked_example() {
        let body = [0x42, 0xdf, 0x94, 0xdf, 0x00, 0x00, 0x61, 0x4d, 0xd6, 0xef, 0, 0, 0, 0];
        assert_eq!(crc8(&body), 0x8b);
    }

    #[test]
    fn matches_the_bitwise_definition() {
        let bitwise = |bytes: &[u8]| {
            let mut crc = 0u8;
            for &byte in bytes {
                crc ^= byte;
                for _ in 0..8 {
                    crc = if crc & 0x80 != 0 { (crc << 1) ^ 0x07 } else { crc << 1 };
                }
            }
            crc
        };
        let data: Vec<u8> = (0..=255u8).chain([0, 7, 0x80]).collect();
        for end in 0..data.len() {
            assert_eq!(crc8(&data[..end]), bitwise(&data[..end]));
        }
    }
}
