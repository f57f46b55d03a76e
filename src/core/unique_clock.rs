//! A microsecond clock that never hands out the same value twice, for `legacy` IDs.
//!
//! A `legacy` ID is the client's address and a time in µs, with no random part: two visitors
//! behind one NAT address in the same microsecond, served by two children, would get the same
//! ID. Every child shares one counter (an `AtomicU64` in memory mapped `MAP_SHARED` before
//! httpd forks) and takes `max(now, last + 1)` from it, so values stay close to the clock and
//! are distinct across threads and processes.

use std::sync::atomic::{AtomicU64, Ordering};

/// `max(now_us, previous + 1)`, stored as the new last value in one atomic step. (At
/// `u64::MAX` µs, in the year 586,524, it stays there instead of wrapping to 0.)
///
/// Relaxed ordering is enough: every read-modify-write of one atomic sees the value the last
/// one stored (one total modification order), and no other memory is published through it.
/// A lock-free `AtomicU64` is a plain `lock cmpxchg` on memory, so this holds between
/// processes sharing the mapping as well as between threads.
pub fn next_unique_us(last_handed_out: &AtomicU64, now_us: u64) -> u64 {
    let after = |previous: u64| now_us.max(previous.saturating_add(1));
    let previous = last_handed_out
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |previous| Some(after(previous)))
        .unwrap_or_else(|unchanged| unchanged); // never taken: the closure always answers Some
    after(previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    /// Clock readings in, values out, from a fresh counter.
    fn handed_out(readings: &[u64]) -> Vec<u64> {
        let last = AtomicU64::new(0);
        let values: Vec<u64> = readings.iter().map(|&now| next_unique_us(&last, now)).collect();
        assert_eq!(last.load(Ordering::Relaxed), *values.last().unwrap());
        values
    }

    #[test]
    fn sequences() {
        // Sparse calls follow the clock.
        assert_eq!(handed_out(&[1_000, 2_000, 2_500]), [1_000, 2_000, 2_500]);
        // The same microsecond moves on, until the clock passes the counter again.
        assert_eq!(handed_out(&[1_000, 1_000, 1_000, 1_010]), [1_000, 1_001, 1_002, 1_010]);
        // A clock stepping back repeats no value.
        assert_eq!(handed_out(&[5_000, 4_000, 5_001]), [5_000, 5_001, 5_002]);
        // At the end of time the counter stays put rather than wrap to 0.
        assert_eq!(handed_out(&[u64::MAX, 1]), [u64::MAX, u64::MAX]);
    }

    #[test]
    fn many_threads_never_get_the_same_value() {
        const THREADS: usize = 8;
        const CALLS: usize = 20_000;
        let last = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let last = Arc::clone(&last);
                // All threads see the same few clock readings, the worst case for collisions.
                std::thread::spawn(move || {
                    (0..CALLS).map(|call| next_unique_us(&last, 1_000 + ((call + thread) / 1_000) as u64)).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = HashSet::new();
        for handle in handles {
            let values = handle.join().unwrap();
            assert!(values.windows(2).all(|pair| pair[0] < pair[1]), "one thread's values increase");
            all.extend(values);
        }
        assert_eq!(all.len(), THREADS * CALLS);
        assert_eq!(last.load(Ordering::Relaxed), *all.iter().max().unwrap());
    }

    #[test]
    fn tracks_the_real_clock_across_threads_when_sparse() {
        let last = Arc::new(AtomicU64::new(0));
        let now = || std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_micros() as u64;
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let last = Arc::clone(&last);
                std::thread::spawn(move || {
                    (0..20)
                        .map(|_| {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                            let before = now();
                            let value = next_unique_us(&last, before);
                            (before, value, now())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (before, value, after) in handles.into_iter().flat_map(|h| h.join().unwrap()) {
            // Every value is a clock reading or one more than an earlier value, so it is never
            // ahead of the clock by more than the 80 calls made, however the threads interleave.
            assert!(value >= before && value <= after + 80, "{before} {value} {after}");
        }
    }
}
