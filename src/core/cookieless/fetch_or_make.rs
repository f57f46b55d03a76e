//! One visit to the salt cache: fetch the day's salt, or, if the cache has none, store the one
//! this process holds (a cache that lost it gets it back) or a new one. The caller holds the
//! cache's mutex over the whole visit, so concurrent makers on one server agree at once.

use std::fmt;

use super::salt::{SALT_LEN, Salt};
use super::utc_day::UtcDay;

/// A socache provider, seen from here. `Error` is the provider's error, shown in warnings.
pub trait SaltStore {
    type Error: fmt::Display;
    /// `Ok(None)`: the cache has no salt under `key` (or something that is not one).
    fn retrieve(&mut self, key: &[u8]) -> Result<Option<[u8; SALT_LEN]>, Self::Error>;
    fn store(&mut self, key: &[u8], salt: &[u8; SALT_LEN], expiry_unix_seconds: i64) -> Result<(), Self::Error>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError<E> {
    Retrieve(E),
    Store(E),
    /// The OS CSPRNG gave nothing.
    NoRandomSalt,
}

impl<E: fmt::Display> fmt::Display for FetchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Retrieve(error) => write!(f, "reading the day's salt from the cache failed ({error})"),
            Self::Store(error) => write!(f, "storing the day's salt in the cache failed ({error})"),
            Self::NoRandomSalt => f.write_str("the operating system gave no random bytes for a new salt"),
        }
    }
}

/// `day`'s salt from `store`; `offer` is the salt this process holds for `day`, if any; `make`
/// draws a new one from the OS CSPRNG (called only if the cache has none and there is no offer).
pub fn fetch_or_make<S: SaltStore>(
    store: &mut S,
    day: UtcDay,
    offer: Option<&Salt>,
    make: impl FnOnce() -> Option<[u8; SALT_LEN]>,
) -> Result<Salt, FetchError<S::Error>> {
    let key = day.cache_key();
    if let Some(bytes) = store.retrieve(&key).map_err(FetchError::Retrieve)? {
        return Ok(match offer {
            Some(held) if held.bytes() == &bytes => held.clone(),
            _ => Salt::new(bytes),
        });
    }
    let salt = match offer {
        Some(held) => held.clone(),
        None => Salt::new(make().ok_or(FetchError::NoRandomSalt)?),
    };
    store.store(&key, salt.bytes(), day.salt_expiry_unix_seconds()).map_err(FetchError::Store)?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// An in-memory cache that can be made to fail.
    #[derive(Default)]
    struct FakeCache {
        entries: HashMap<Vec<u8>, ([u8; SALT_LEN], i64)>,
        down: bool,
        stores: usize,
    }

    impl SaltStore for FakeCache {
        type Error = &'static str;
        fn retrieve(&mut self, key: &[u8]) -> Result<Option<[u8; SALT_LEN]>, Self::Error> {
            if self.down {
                return Err("connection refused");
            }
            Ok(self.entries.get(key).map(|(salt, _)| *salt))
        }
        fn store(&mut self, key: &[u8], salt: &[u8; SALT_LEN], expiry: i64) -> Result<(), Self::Error> {
            if self.down {
                return Err("connection refused");
            }
            self.stores += 1;
            self.entries.insert(key.to_vec(), (*salt, expiry));
            Ok(())
        }
    }

    const NOON: i64 = 1_796_169_600 + 43_200;

    fn today() -> UtcDay {
        UtcDay::of_unix_seconds(NOON)
    }

    #[test]
    fn the_first_maker_stores_and_everyone_else_fetches_it() {
        let mut cache = FakeCache::default();
        let first = fetch_or_make(&mut cache, today(), None, || Some([1; 32])).unwrap();
        assert_eq!(first.bytes(), &[1; 32]);
        let (_, expiry) = cache.entries[&today().cache_key()[..]];
        assert_eq!(expiry, today().salt_expiry_unix_seconds());
        let second = fetch_or_make(&mut cache, today(), None, || panic!("the cache has one")).unwrap();
        assert_eq!(second, first);
        assert_eq!(cache.stores, 1);
    }

    #[test]
    fn a_cache_that_lost_the_salt_gets_the_held_one_back() {
        let mut cache = FakeCache::default();
        let held = Salt::new([7; 32]);
        let salt = fetch_or_make(&mut cache, today(), Some(&held), || panic!("not made anew")).unwrap();
        assert_eq!(salt, held);
        assert_eq!(cache.entries[&today().cache_key()[..]].0, [7; 32]);
    }

    #[test]
    fn the_caches_salt_wins_over_the_held_one() {
        let mut cache = FakeCache::default();
        fetch_or_make(&mut cache, today(), None, || Some([2; 32])).unwrap();
        let held = Salt::new([7; 32]);
        assert_eq!(fetch_or_make(&mut cache, today(), Some(&held), || None).unwrap().bytes(), &[2; 32]);
    }

    #[test]
    fn each_day_has_its_own_salt() {
        let mut cache = FakeCache::default();
        let today_salt = fetch_or_make(&mut cache, today(), None, || Some([1; 32])).unwrap();
        let tomorrow_salt = fetch_or_make(&mut cache, today().next(), None, || Some([2; 32])).unwrap();
        assert_ne!(today_salt, tomorrow_salt);
        assert_eq!(cache.entries.len(), 2);
    }

    #[test]
    fn failures_are_reported_not_papered_over() {
        let mut cache = FakeCache { down: true, ..FakeCache::default() };
        let error = fetch_or_make(&mut cache, today(), None, || Some([1; 32])).unwrap_err();
        assert_eq!(error, FetchError::Retrieve("connection refused"));
        assert_eq!(error.to_string(), "reading the day's salt from the cache failed (connection refused)");
        let mut cache = FakeCache::default();
        assert_eq!(fetch_or_make(&mut cache, today(), None, || None).unwrap_err(), FetchError::NoRandomSalt);
        assert!(cache.entries.is_empty());
    }
}
