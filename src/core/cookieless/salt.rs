//! The day's salt: 32 random bytes, with the SipHash key derived from them once per salt and
//! process, so that a request pays for hashing its own fields and nothing else.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use siphasher::sip128::SipHasher24;

pub const SALT_LEN: usize = 32;

/// What the SipHash key is derived for (the HMAC's message), so that it is not the salt itself.
const SIPHASH_KEY_LABEL: &[u8] = b"usertrack cookieless siphash key";

/// SipHash-2-4 (128-bit output) keyed with the first 16 bytes of HMAC-SHA256(salt,
/// `SIPHASH_KEY_LABEL`): every process and server that holds the same salt derives the same key,
/// and the key uses all 256 bits of the salt.
pub type PreparedSalt = SipHasher24;

/// The SipHash key's size.
const SIPHASH_KEY_LEN: usize = 16;

/// A salt and its derived SipHash key. Owns no heap memory (it lives in pool memory that is
/// freed without running destructors); small, because each request copies it out of the
/// process's keeper.
#[derive(Clone)]
pub struct Salt {
    bytes: [u8; SALT_LEN],
    siphash_key: [u8; SIPHASH_KEY_LEN],
}

impl Salt {
    pub fn new(bytes: [u8; SALT_LEN]) -> Self {
        let mut derive = Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC takes keys of any length");
        derive.update(SIPHASH_KEY_LABEL);
        let derived = derive.finalize().into_bytes();
        let siphash_key = derived[..SIPHASH_KEY_LEN].try_into().expect("SHA-256 gives 32 bytes");
        Self { bytes, siphash_key }
    }

    /// What the cache stores.
    pub fn bytes(&self) -> &[u8; SALT_LEN] {
        &self.bytes
    }

    /// A hasher keyed for this salt, ready for a request's fields.
    pub fn prepared(&self) -> PreparedSalt {
        PreparedSalt::new_with_key(&self.siphash_key)
    }
}

impl PartialEq for Salt {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Salt {}

impl fmt::Debug for Salt {
    /// Never the bytes: whoever has them can recompute the day's IDs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_bytes_and_equality_is_by_bytes() {
        let salt = Salt::new([0xab; SALT_LEN]);
        assert_eq!(format!("{salt:?}"), "Salt(..)");
        assert_eq!(salt, Salt::new([0xab; SALT_LEN]));
        assert_ne!(salt, Salt::new([0xac; SALT_LEN]));
        assert_eq!(salt.bytes(), &[0xab; SALT_LEN]);
    }

    /// Computed independently with Python (`scripts/cookieless_reference.py`, `siphash_key`):
    /// `hmac.new(bytes(range(32)), b"usertrack cookieless siphash key", hashlib.sha256).digest()[:16]`.
    #[test]
    fn the_siphash_key_is_derived_from_the_salt() {
        let salt = Salt::new(std::array::from_fn(|index| index as u8));
        let expected = [0xdd, 0xf2, 0x97, 0x53, 0x3e, 0xea, 0xd3, 0x04, 0x63, 0xc1, 0xa2, 0xd2, 0x02, 0x88, 0x50, 0x37];
        assert_eq!(salt.prepared().key(), expected);
    }
}
