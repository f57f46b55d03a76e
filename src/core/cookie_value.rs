//! The value a Set-Cookie carries: a minted ID, or an ID and its signature tag.
//!
//! Fixed capacity and no heap: it is built on the stack per request and copied into request
//! pool memory. The bytes after the value are zeros, so that a short value can be copied as one
//! fixed-size block (the common header's fast path).

use super::id_format::{FormattedId, MAX_FORMATTED_ID_LEN};
use super::signing::{KeyRing, SIGNED_VALUE_CAPACITY};

/// Short values are copied as one block of this many bytes.
pub const ID_BLOCK_LEN: usize = 32;

/// The longest value: the longest ID, `~` and a tag, rounded up to whole blocks.
pub const VALUE_CAPACITY: usize = SIGNED_VALUE_CAPACITY.next_multiple_of(ID_BLOCK_LEN);
const _: () = assert!(MAX_FORMATTED_ID_LEN < SIGNED_VALUE_CAPACITY);

#[derive(Clone, Copy, Debug)]
pub struct CookieValue {
    block: [u8; VALUE_CAPACITY],
    /// Bytes, not `usize`s: the value is moved by value per request, and this keeps it small.
    len: u8,
    /// The ID is the value's first `id_len` bytes; the rest (if any) is `~` and the tag.
    id_len: u8,
}

const _: () = assert!(VALUE_CAPACITY <= u8::MAX as usize, "lengths fit a byte");

impl CookieValue {
    /// A value whose first `len` bytes of `block` are the ID, unsigned.
    pub(crate) fn from_block(block: [u8; VALUE_CAPACITY], len: usize) -> Self {
        debug_assert!(len <= VALUE_CAPACITY);
        Self { block, len: len as u8, id_len: len as u8 }
    }

    /// An unsigned value holding `id` (at most `MAX_FORMATTED_ID_LEN` bytes).
    pub fn unsigned(id: &[u8]) -> Self {
        let mut block = [0; VALUE_CAPACITY];
        block[..id.len()].copy_from_slice(id);
        Self::from_block(block, id.len())
    }

    pub fn formatted(id: &FormattedId) -> Self {
        Self::unsigned(id.bytes())
    }

    /// `id~tag`, signed with the ring's first key.
    pub fn signed(keys: &KeyRing, cookie_name: &[u8], id: &[u8]) -> Self {
        let mut signed = [0; SIGNED_VALUE_CAPACITY];
        let len = keys.sign(cookie_name, id, &mut signed);
        let mut block = [0; VALUE_CAPACITY];
        block[..len].copy_from_slice(&signed[..len]);
        Self { block, len: len as u8, id_len: id.len() as u8 }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.block[..self.len()]
    }

    /// The ID without its tag: what notes and environment hold.
    pub fn id(&self) -> &[u8] {
        &self.block[..usize::from(self.id_len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value and the zeros after it, when it fits one fixed-size block.
    #[inline(always)]
    pub fn short_block(&self) -> Option<&[u8; ID_BLOCK_LEN]> {
        if self.len() <= ID_BLOCK_LEN { self.block.first_chunk() } else { None }
    }

    /// The whole fixed-size block, value and zeros.
    pub fn block(&self) -> &[u8; VALUE_CAPACITY] {
        &self.block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_have_a_block_of_value_then_zeros() {
        let value = CookieValue::unsigned(b"e679234d.660d2e8448362");
        let block = value.short_block().unwrap();
        assert_eq!(&block[..value.len()], b"e679234d.660d2e8448362");
        assert!(block[value.len()..].iter().all(|&b| b == 0));
        assert_eq!(value.id(), value.bytes());
    }

    #[test]
    fn long_values_have_no_short_block() {
        let id = "0123456789abcdef0123456789abcdef0";
        assert!(CookieValue::unsigned(id.as_bytes()).short_block().is_none());
        assert!(CookieValue::unsigned(&id.as_bytes()[..32]).short_block().is_some());
    }
}
