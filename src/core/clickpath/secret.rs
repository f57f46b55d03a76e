//! `ClickPathSecret` / `ClickPathSecretIV` (spec §3.4): the fetched content becomes a Blowfish
//! key, the IV argument an 8-byte IV, and the pair encrypts and decrypts ID bodies in CBC mode
//! with PKCS#5 padding, as Perl's Crypt::CBC does with those settings.

use std::fmt;

use blowfish::Blowfish;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};
use md5::{Digest, Md5};

/// Crypt::CBC accepts Blowfish keys of 8 to 56 bytes.
pub const MIN_KEY_LEN: usize = 8;
pub const MAX_KEY_LEN: usize = 56;
/// The IV when `ClickPathSecretIV` is absent.
pub const DEFAULT_IV: [u8; 8] = *b"abcd1234";

/// Why key material cannot be used (the Perl module started and then failed every new session:
/// quirk 13; refusing to start is the fix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    Length(usize),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Length(len) => writeln!(
                f,
                "ERROR: ClickPathSecret: the key is {len} bytes long; Blowfish needs {MIN_KEY_LEN} to {MAX_KEY_LEN} \
                 (use a hex:, binary: or password: secret, or any other text, which is hashed)"
            ),
        }
    }
}

pub fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// Perl's `pack('H*', text)`: two characters per byte, high nibble first; a letter counts
/// `(ord + 9) & 15` and anything else `ord & 15`, so non-hex text still gives bytes.
fn pack_hex(text: &[u8]) -> Vec<u8> {
    let nibble = |byte: u8| if byte.is_ascii_alphabetic() { (byte + 9) & 15 } else { byte & 15 };
    text.chunks(2).map(|pair| (nibble(pair[0]) << 4) | pair.get(1).map_or(0, |&low| nibble(low))).collect()
}

/// The key the content of a secret URL gives; nothing is trimmed (a file's final newline is
/// part of the key material).
pub fn key_from_content(content: &[u8]) -> Vec<u8> {
    let first_56 = |mut key: Vec<u8>| {
        key.truncate(MAX_KEY_LEN);
        key
    };
    if let Some(rest) = content.strip_prefix(b"binary:") {
        first_56(rest.to_vec())
    } else if let Some(rest) = content.strip_prefix(b"hex:") {
        first_56(pack_hex(rest))
    } else if let Some(rest) = content.strip_prefix(b"password:") {
        md5(rest).to_vec()
    } else {
        md5(content).to_vec()
    }
}

/// `ClickPathSecretIV <text>`: the first 8 bytes of MD5 of the raw argument, quotes included.
pub fn iv_from_argument(argument: &[u8]) -> [u8; 8] {
    let digest = md5(argument);
    digest[..8].try_into().expect("MD5 has 16 bytes")
}

/// A keyed Blowfish and its IV. Holds no heap memory (it can live in a config pool).
#[derive(Clone)]
pub struct SessionCipher {
    blowfish: Blowfish,
    iv: [u8; 8],
}

impl fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("SessionCipher(..)")
    }
}

/// Bytes of a 15-byte body once encrypted: PKCS#5 pads it to two blocks.
pub const ENCRYPTED_BODY_LEN: usize = 16;

impl SessionCipher {
    pub fn new(key: &[u8], iv: [u8; 8]) -> Result<Self, KeyError> {
        if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
            return Err(KeyError::Length(key.len()));
        }
        let blowfish = Blowfish::new_from_slice(key).map_err(|_| KeyError::Length(key.len()))?;
        Ok(Self { blowfish, iv })
    }

    pub fn encrypt_body(&self, body: &[u8; 15]) -> [u8; ENCRYPTED_BODY_LEN] {
        let mut buffer = [0u8; ENCRYPTED_BODY_LEN];
        buffer[..body.len()].copy_from_slice(body);
        let encryptor = cbc::Encryptor::<&Blowfish>::inner_iv_init(&self.blowfish, &self.iv.into());
        let len = encryptor.encrypt_padded::<Pkcs7>(&mut buffer, body.len()).expect("room for one pad block").len();
        debug_assert_eq!(len, ENCRYPTED_BODY_LEN);
        buffer
    }

    /// Decrypts `buffer` in place and returns the plaintext's length, or `None` when it is not
    /// a positive number of whole blocks or its padding is wrong (the Perl module answered 500
    /// there, quirk 1: the caller treats it as a failed checksum).
    pub fn decrypt_in_place(&self, buffer: &mut [u8]) -> Option<usize> {
        if buffer.is_empty() || !buffer.len().is_multiple_of(8) {
            return None;
        }
        let decryptor = cbc::Decryptor::<&Blowfish>::inner_iv_init(&self.blowfish, &self.iv.into());
        decryptor.decrypt_padded::<Pkcs7>(buffer).ok().map(<[u8]>::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    const FISH: &[u8] = b"So long and thanks for all the fish";

    #[test]
    fn the_spec_worked_example_encrypts_byte_for_byte() {
        let key = key_from_content(FISH);
        assert_eq!(key, hex("a734fcab58aaf0faade19c80e3897245"));
        let cipher = SessionCipher::new(&key, DEFAULT_IV).unwrap();
        let body: [u8; 15] = hex("ad42df94e60000614dd6fa00000000").try_into().unwrap();
        let encrypted = cipher.encrypt_body(&body);
        assert_eq!(encrypted.to_vec(), hex("77bfe78e5ddc312704da8bf010541d78"));
        let mut buffer = encrypted.to_vec();
        let len = cipher.decrypt_in_place(&mut buffer).unwrap();
        assert_eq!(&buffer[..len], &body);
    }

    #[test]
    fn key_prefixes() {
        assert_eq!(key_from_content(b"binary:12345678"), b"12345678");
        assert_eq!(key_from_content(&[b"binary:".as_slice(), &[b'k'; 70]].concat()).len(), 56);
        assert_eq!(key_from_content(b"hex:0123456789abcdef"), hex("0123456789abcdef"));
        assert_eq!(key_from_content(b"password:fish"), md5(b"fish"));
        assert_eq!(key_from_content(b"fish\n"), md5(b"fish\n"), "nothing is trimmed");
        assert_eq!(key_from_content(b"hex:"), b"");
    }

    #[test]
    fn hex_keys_follow_perl_pack_h_on_any_text() {
        assert_eq!(pack_hex(b"AbC"), [0xab, 0xc0], "odd count pads the last nibble with 0");
        assert_eq!(pack_hex(b"zz"), [0x33], "letters: (ord + 9) & 15");
        assert_eq!(pack_hex(b"1\n"), [0x1a], "others: ord & 15, a newline adds nibble a");
        assert_eq!(pack_hex(b"G-"), [0x0d]);
    }

    #[test]
    fn the_iv_is_md5_of_the_raw_argument() {
        assert_eq!(iv_from_argument(b"").to_vec(), hex("d41d8cd98f00b204"));
        assert_eq!(iv_from_argument(b"\"x\"").to_vec(), md5(b"\"x\"")[..8].to_vec());
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        assert_eq!(SessionCipher::new(b"1234567", DEFAULT_IV).unwrap_err(), KeyError::Length(7));
        assert!(SessionCipher::new(&[1; 57], DEFAULT_IV).is_err());
        assert!(SessionCipher::new(&[1; 8], DEFAULT_IV).is_ok());
        assert!(SessionCipher::new(&[1; 56], DEFAULT_IV).is_ok());
        assert!(KeyError::Length(3).to_string().contains("ClickPathSecret"));
    }

    #[test]
    fn partial_blocks_and_bad_padding_fail_to_decrypt() {
        let cipher = SessionCipher::new(&md5(FISH), DEFAULT_IV).unwrap();
        assert_eq!(cipher.decrypt_in_place(&mut []), None);
        assert_eq!(cipher.decrypt_in_place(&mut [0; 15]), None);
        // The spec example's ciphertext with its last byte changed: the padding breaks.
        let mut tampered = hex("77bfe78e5ddc312704da8bf010541d79");
        assert_eq!(cipher.decrypt_in_place(&mut tampered), None);
    }
}
