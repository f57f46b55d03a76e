//! The two byte searches the cookie scanner makes, using memchr's SIMD routines directly where
//! the CPU has them. For headers of a few hundred bytes the generic entry points' dispatch
//! costs about as much as the search itself.

use memchr::memmem;

/// Finds one fixed needle.
#[derive(Clone, Debug)]
pub struct SubstringFinder<'n> {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::packedpair::Finder>,
    portable: memmem::Finder<'n>,
}

impl<'n> SubstringFinder<'n> {
    pub fn new(needle: &'n [u8]) -> Self {
        Self {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::packedpair::Finder::new(needle),
            portable: memmem::Finder::new(needle),
        }
    }

    /// The first occurrence's offset in `haystack`.
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = self.avx2.as_ref().filter(|avx2| haystack.len() >= avx2.min_haystack_len()) {
            return avx2.find(haystack, self.portable.needle());
        }
        self.portable.find(haystack)
    }
}

/// The offset of the first `;` or `,`.
pub fn find_separator(bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(sse2) = memchr::arch::x86_64::sse2::memchr::Two::new(b';', b',') {
        return sse2.find(bytes);
    }
    memchr::memchr2(b';', b',', bytes)
}

#[cfg(test)]
mod tests {
    use super::{SubstringFinder, find_separator};

    /// Haystacks shorter and longer than the SIMD routines' minimum, the needle everywhere.
    #[test]
    fn agrees_with_a_naive_search_at_every_length_and_position() {
        let needle = b"Apache";
        let finder = SubstringFinder::new(needle);
        for len in 0..200 {
            for at in 0..=len {
                let mut haystack = vec![b'x'; len];
                if at + needle.len() <= len {
                    haystack[at..at + needle.len()].copy_from_slice(needle);
                }
                let naive = haystack.windows(needle.len()).position(|w| w == needle);
                assert_eq!(finder.find(&haystack), naive, "len {len}, needle at {at}");
            }
        }
    }

    #[test]
    fn separators() {
        assert_eq!(find_separator(b""), None);
        assert_eq!(find_separator(b"abc"), None);
        assert_eq!(find_separator(b"ab,c;"), Some(2));
        let mut long = vec![b'v'; 100];
        long[70] = b';';
        assert_eq!(find_separator(&long), Some(70));
    }
}
