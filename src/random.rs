//! Random bits for new IDs (32 bits for `apache`, 10 or 16 bytes for the UUIDs): a ChaCha
//! CSPRNG per thread, seeded from the OS.
//!
//! One `getrandom` per thread lifetime instead of one per ID. A forked child must never reuse
//! its parent's generator state (prefork children serve on the forked main thread), so the
//! child_init hook calls `reseed_after_fork`, which makes every thread draw a fresh seed before
//! its next ID.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::core::tracking_id::RandomSource;

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static GENERATOR: RefCell<Option<(u64, StdRng)>> = const { RefCell::new(None) };
}

/// Called in each new child process: generators seeded before the fork are discarded.
pub fn reseed_after_fork() {
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// `N` bytes straight from the OS CSPRNG (`getrandom`), for secrets that must not depend on
/// any generator state: the cookieless salt, made once a day. `None` if the OS gives none.
pub fn os_random_bytes<const N: usize>() -> Option<[u8; N]> {
    use rand::TryRngCore;
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
    Some(bytes)
}

/// This thread's generator.
pub struct ThreadRandom;

impl RandomSource for ThreadRandom {
    #[inline]
    fn try_next_u32(&mut self) -> Option<u32> {
        with_generator(RngCore::next_u32)
    }

    fn try_fill(&mut self, out: &mut [u8]) -> bool {
        with_generator(|rng| rng.fill_bytes(out)).is_some()
    }
}

/// Runs `draw` on this thread's generator, seeding it first if this thread has none yet or it
/// was seeded before the last fork.
#[inline(always)]
fn with_generator<T>(draw: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    let generation = FORK_GENERATION.load(Ordering::Relaxed);
    GENERATOR.with_borrow_mut(|slot| match slot {
        Some((seeded_in, rng)) if *seeded_in == generation => Some(draw(rng)),
        _ => seed(slot, generation).map(draw),
    })
}

/// Once per thread and fork: out of line, so that the per-ID path stays small.
#[cold]
#[inline(never)]
fn seed(slot: &mut Option<(u64, StdRng)>, generation: u64) -> Option<&mut StdRng> {
    #[cfg(feature = "fault-injection")]
    if crate::ffi::fault_active("getrandom") {
        return None;
    }
    let (_, rng) = slot.insert((generation, StdRng::try_from_os_rng().ok()?));
    Some(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn draws_differ_within_a_thread() {
        let values: HashSet<u32> = (0..1000).map(|_| ThreadRandom.try_next_u32().unwrap()).collect();
        assert!(values.len() > 990);
    }

    #[test]
    fn fills_differ_and_cover_every_byte() {
        let mut first = [0u8; 16];
        let mut second = [0u8; 16];
        assert!(ThreadRandom.try_fill(&mut first));
        assert!(ThreadRandom.try_fill(&mut second));
        assert_ne!(first, second);
        // Bytes a short fill leaves alone are not touched.
        let mut partial = [0u8; 16];
        assert!(ThreadRandom.try_fill(&mut partial[..10]));
        assert_eq!(partial[10..], [0; 6]);
        let mut seen = [false; 256];
        for _ in 0..200 {
            let mut bytes = [0u8; 16];
            assert!(ThreadRandom.try_fill(&mut bytes));
            bytes.iter().for_each(|&byte| seen[usize::from(byte)] = true);
        }
        assert!(seen.iter().filter(|&&s| s).count() > 240);
    }

    #[test]
    fn threads_are_seeded_independently() {
        let first = |_| std::thread::spawn(|| ThreadRandom.try_next_u32().unwrap());
        let values: HashSet<u32> = (0..8).map(first).map(|h| h.join().unwrap()).collect();
        assert_eq!(values.len(), 8);
    }

    #[test]
    fn a_new_generation_reseeds_the_thread() {
        ThreadRandom.try_next_u32().unwrap();
        let before = GENERATOR.with_borrow(|slot| slot.as_ref().map(|(g, _)| *g));
        reseed_after_fork();
        ThreadRandom.try_next_u32().unwrap();
        let after = GENERATOR.with_borrow(|slot| slot.as_ref().map(|(g, _)| *g));
        assert_ne!(before, after);
        assert_eq!(after, Some(FORK_GENERATION.load(Ordering::Relaxed)));
    }

    /// The point of the reseed: a forked child draws other values than its parent would.
    #[test]
    fn forked_children_draw_different_values() {
        ThreadRandom.try_next_u32().unwrap();
        let mut pipe = [0i32; 2];
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            reseed_after_fork();
            let mut value = [0u8; 20];
            value[..4].copy_from_slice(&ThreadRandom.try_next_u32().unwrap_or(0).to_ne_bytes());
            ThreadRandom.try_fill(&mut value[4..]);
            unsafe {
                libc::write(pipe[1], value.as_ptr().cast(), 20);
                libc::_exit(0);
            }
        }
        let mut parent_value = [0u8; 20];
        parent_value[..4].copy_from_slice(&ThreadRandom.try_next_u32().unwrap().to_ne_bytes());
        assert!(ThreadRandom.try_fill(&mut parent_value[4..]));
        let mut child_value = [0u8; 20];
        assert_eq!(unsafe { libc::read(pipe[0], child_value.as_mut_ptr().cast(), 20) }, 20);
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        assert_ne!(child_value[..4], parent_value[..4]);
        assert_ne!(child_value[4..], parent_value[4..]);
    }
}
