//! The day's salt: 32 random bytes, with the HMAC key state prepared from them once, so that a
//! request pays for hashing its own fields and not for the key schedule again.

use std::fmt;

use hmac::{Hmac, KeyInit};
use sha2::Sha256;

pub const SALT_LEN: usize = 32;

/// HMAC-SHA256 with the salt's inner and outer pads already hashed.
pub type PreparedSalt = Hmac<Sha256>;

/// A salt and its prepared key. Owns no heap memory (it lives in pool memory that is freed
/// without running destructors).
#[derive(Clone)]
pub struct Salt {
    bytes: [u8; SALT_LEN],
    prepared: PreparedSalt,
}

impl Salt {
    pub fn new(bytes: [u8; SALT_LEN]) -> Self {
        Self { prepared: PreparedSalt::new_from_slice(&bytes).expect("HMAC takes keys of any length"), bytes }
    }

    /// What the cache stores.
    pub fn bytes(&self) -> &[u8; SALT_LEN] {
        &self.bytes
    }

    pub fn prepared(&self) -> &PreparedSalt {
        &self.prepared
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
}
