//! One process's memory of the day's salt, and when it goes back to the cache: a pure state
//! machine, the clock injected (unix seconds), so every timing rule is tested without a cache.
//!
//! - A process that holds today's salt hashes with it; it looks at the cache again at least
//!   once a minute (`LOOK_AGAIN_AFTER`), so a cache that lost the salt (a memcached restart)
//!   gets it back, and a farm whose servers made different salts converges on the cache's.
//! - After a failed cache call it leaves the cache alone for `BACK_OFF_AFTER_FAILURE`: the
//!   provider's errors and ours do not repeat per request. Meanwhile a process that holds the
//!   day's salt goes on using it; one that does not serves requests untracked (never a salt of
//!   its own, which would split a visitor in two).
//! - It warns at most once per `WARNING_INTERVAL`.
//! - Yesterday's salt is kept until the grace after midnight is over, for requests that started
//!   the day before; then it is dropped, so no salt outlives its day in memory either.

use super::salt::Salt;
use super::utc_day::{GRACE_SECONDS, UtcDay};

pub const LOOK_AGAIN_AFTER: i64 = 60;
pub const BACK_OFF_AFTER_FAILURE: i64 = 20;
pub const WARNING_INTERVAL: i64 = 60;

/// A day's salt, as far as this process knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaySalt {
    Missing,
    Held(UtcDay, Salt),
}

impl DaySalt {
    fn for_day(&self, wanted: UtcDay) -> Option<&Salt> {
        match self {
            Self::Held(day, salt) if *day == wanted => Some(salt),
            _ => None,
        }
    }
}

/// Whether the cache may be called now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CacheHealth {
    Usable,
    /// A call failed: leave the cache alone until then.
    BackingOff { until: i64 },
}

/// What a request does about the salt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Hash with this salt.
    Use(Salt),
    /// Go to the cache for `day`'s salt (fetch, or store `offer` or a new one if it has none),
    /// then report with `SaltKeeper::consulted`.
    Consult { day: UtcDay, offer: Option<Salt> },
    /// No salt for the request's day now: serve it without a cookieless ID.
    Untracked,
}

/// What the cache gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheAnswer {
    /// The day's salt: found there, or stored there by this call.
    Salt(Salt),
    Failed,
}

/// After a consultation: the salt to hash with, if any, and whether to warn about a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consulted {
    pub salt: Option<Salt>,
    pub warn: bool,
}

#[derive(Clone, Debug)]
pub struct SaltKeeper {
    today: DaySalt,
    yesterday: DaySalt,
    /// When a process holding today's salt checks the cache again.
    next_look_at: i64,
    health: CacheHealth,
    last_warning_at: Option<i64>,
}

impl Default for SaltKeeper {
    fn default() -> Self {
        Self::new()
    }
}

impl SaltKeeper {
    pub const fn new() -> Self {
        Self { today: DaySalt::Missing, yesterday: DaySalt::Missing, next_look_at: 0, health: CacheHealth::Usable, last_warning_at: None }
    }

    fn backing_off(&self, now: i64) -> bool {
        matches!(self.health, CacheHealth::BackingOff { until } if now < until)
    }

    /// What a request of `day`, at `now`, does.
    pub fn plan(&mut self, day: UtcDay, now: i64) -> Plan {
        self.forget_yesterday_after_grace(now);
        if let Some(salt) = self.today.for_day(day) {
            if now < self.next_look_at || self.backing_off(now) {
                return Plan::Use(salt.clone());
            }
            // This request looks; the others go on with the salt meanwhile.
            self.next_look_at = now + LOOK_AGAIN_AFTER;
            return Plan::Consult { day, offer: Some(salt.clone()) };
        }
        if let Some(salt) = self.yesterday.for_day(day) {
            return Plan::Use(salt.clone());
        }
        let older_than_today = matches!(self.today, DaySalt::Held(today, _) if day < today);
        if older_than_today || self.backing_off(now) {
            return Plan::Untracked;
        }
        Plan::Consult { day, offer: None }
    }

    /// Records what the cache gave for `day`'s salt.
    pub fn consulted(&mut self, day: UtcDay, now: i64, answer: CacheAnswer) -> Consulted {
        match answer {
            CacheAnswer::Salt(salt) => {
                self.health = CacheHealth::Usable;
                match &self.today {
                    DaySalt::Held(today, _) if day < *today => {}
                    DaySalt::Held(today, _) if day == *today => {
                        self.today = DaySalt::Held(day, salt.clone());
                        self.next_look_at = now + LOOK_AGAIN_AFTER;
                    }
                    _ => {
                        let previous = std::mem::replace(&mut self.today, DaySalt::Held(day, salt.clone()));
                        self.yesterday = match previous {
                            DaySalt::Held(previous_day, previous_salt) if previous_day.next() == day => {
                                DaySalt::Held(previous_day, previous_salt)
                            }
                            _ => DaySalt::Missing,
                        };
                        self.next_look_at = now + LOOK_AGAIN_AFTER;
                    }
                }
                Consulted { salt: Some(salt), warn: false }
            }
            CacheAnswer::Failed => {
                self.health = CacheHealth::BackingOff { until: now + BACK_OFF_AFTER_FAILURE };
                let warn = self.last_warning_at.is_none_or(|at| now - at >= WARNING_INTERVAL);
                if warn {
                    self.last_warning_at = Some(now);
                }
                Consulted { salt: self.today.for_day(day).cloned(), warn }
            }
        }
    }

    fn forget_yesterday_after_grace(&mut self, now: i64) {
        if let DaySalt::Held(day, _) = self.yesterday
            && now >= day.next().start_unix_seconds() + GRACE_SECONDS
        {
            self.yesterday = DaySalt::Missing;
        }
    }

    /// Today's salt as this process holds it (for handing it over across a restart).
    pub fn held(&self) -> &DaySalt {
        &self.today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02T00:00:00Z.
    const MIDNIGHT: i64 = 1_796_169_600;
    const NOON: i64 = MIDNIGHT + 43_200;

    fn day(at: i64) -> UtcDay {
        UtcDay::of_unix_seconds(at)
    }

    fn salt(byte: u8) -> Salt {
        Salt::new([byte; 32])
    }

    /// A keeper that got `salt(1)` for today at noon.
    fn holding_at_noon() -> SaltKeeper {
        let mut keeper = SaltKeeper::new();
        assert_eq!(keeper.plan(day(NOON), NOON), Plan::Consult { day: day(NOON), offer: None });
        assert_eq!(keeper.consulted(day(NOON), NOON, CacheAnswer::Salt(salt(1))), Consulted { salt: Some(salt(1)), warn: false });
        keeper
    }

    #[test]
    fn a_new_process_consults_then_uses_the_salt_without_the_cache() {
        let mut keeper = holding_at_noon();
        for later in [NOON, NOON + 1, NOON + LOOK_AGAIN_AFTER - 1] {
            assert_eq!(keeper.plan(day(later), later), Plan::Use(salt(1)), "{later}");
        }
    }

    #[test]
    fn it_looks_again_once_a_minute_offering_what_it_holds() {
        let mut keeper = holding_at_noon();
        let due = NOON + LOOK_AGAIN_AFTER;
        assert_eq!(keeper.plan(day(due), due), Plan::Consult { day: day(due), offer: Some(salt(1)) });
        // One request looks; the others meanwhile go on with the salt.
        assert_eq!(keeper.plan(day(due), due), Plan::Use(salt(1)));
        // The cache holds another server's salt: the farm converges on it.
        assert_eq!(keeper.consulted(day(due), due, CacheAnswer::Salt(salt(2))).salt, Some(salt(2)));
        assert_eq!(keeper.plan(day(due + 1), due + 1), Plan::Use(salt(2)));
        assert_eq!(keeper.plan(day(due + 59), due + 59), Plan::Use(salt(2)));
        assert!(matches!(keeper.plan(day(due + 60), due + 60), Plan::Consult { offer: Some(_), .. }));
    }

    #[test]
    fn a_failure_backs_off_20_seconds_and_keeps_a_held_salt() {
        let mut keeper = holding_at_noon();
        let due = NOON + LOOK_AGAIN_AFTER;
        keeper.plan(day(due), due);
        assert_eq!(keeper.consulted(day(due), due, CacheAnswer::Failed), Consulted { salt: Some(salt(1)), warn: true });
        assert_eq!(keeper.plan(day(due + 10), due + 10), Plan::Use(salt(1)));
        assert_eq!(keeper.plan(day(due + 59), due + 59), Plan::Use(salt(1)));
        assert!(matches!(keeper.plan(day(due + 60), due + 60), Plan::Consult { offer: Some(_), .. }));
    }

    #[test]
    fn without_a_salt_requests_are_untracked_while_backing_off() {
        let mut keeper = SaltKeeper::new();
        assert!(matches!(keeper.plan(day(NOON), NOON), Plan::Consult { offer: None, .. }));
        assert_eq!(keeper.consulted(day(NOON), NOON, CacheAnswer::Failed), Consulted { salt: None, warn: true });
        for later in [NOON, NOON + 5, NOON + BACK_OFF_AFTER_FAILURE - 1] {
            assert_eq!(keeper.plan(day(later), later), Plan::Untracked, "{later}");
        }
        let retry = NOON + BACK_OFF_AFTER_FAILURE;
        assert_eq!(keeper.plan(day(retry), retry), Plan::Consult { day: day(retry), offer: None });
        assert_eq!(keeper.consulted(day(retry), retry, CacheAnswer::Salt(salt(3))).salt, Some(salt(3)));
        assert_eq!(keeper.plan(day(retry + 1), retry + 1), Plan::Use(salt(3)));
    }

    #[test]
    fn at_most_one_warning_a_minute() {
        let mut keeper = SaltKeeper::new();
        let warnings: Vec<bool> = [0, 20, 40, 60, 80, 119, 120]
            .into_iter()
            .map(|offset| keeper.consulted(day(NOON), NOON + offset, CacheAnswer::Failed).warn)
            .collect();
        assert_eq!(warnings, [true, false, false, true, false, false, true]);
        // Recovery does not warn.
        assert!(!keeper.consulted(day(NOON), NOON + 140, CacheAnswer::Salt(salt(1))).warn);
    }

    #[test]
    fn a_new_day_needs_a_new_salt_and_yesterdays_serves_only_the_grace() {
        let mut keeper = holding_at_noon();
        let tomorrow = MIDNIGHT + 86_400;
        assert_eq!(keeper.plan(day(tomorrow), tomorrow), Plan::Consult { day: day(tomorrow), offer: None });
        keeper.consulted(day(tomorrow), tomorrow, CacheAnswer::Salt(salt(9)));
        assert_eq!(keeper.plan(day(tomorrow), tomorrow + 1), Plan::Use(salt(9)));
        // A request that started before midnight still hashes with its own day's salt...
        assert_eq!(keeper.plan(day(tomorrow - 1), tomorrow + 2), Plan::Use(salt(1)));
        assert_eq!(keeper.plan(day(tomorrow - 1), tomorrow + GRACE_SECONDS - 1), Plan::Use(salt(1)));
        // ...until the grace is over: then the salt is gone.
        assert_eq!(keeper.plan(day(tomorrow - 1), tomorrow + GRACE_SECONDS), Plan::Untracked);
        assert_eq!(keeper.yesterday, DaySalt::Missing);
        assert_eq!(keeper.held(), &DaySalt::Held(day(tomorrow), salt(9)));
    }

    #[test]
    fn a_late_answer_for_an_older_day_changes_nothing() {
        let mut keeper = holding_at_noon();
        let yesterday = day(NOON - 86_400);
        assert_eq!(keeper.plan(yesterday, NOON), Plan::Untracked);
        assert_eq!(keeper.consulted(yesterday, NOON, CacheAnswer::Salt(salt(5))).salt, Some(salt(5)));
        assert_eq!(keeper.held(), &DaySalt::Held(day(NOON), salt(1)));
    }

    #[test]
    fn a_day_skipped_leaves_no_yesterday() {
        let mut keeper = holding_at_noon();
        let two_days_later = NOON + 2 * 86_400;
        keeper.plan(day(two_days_later), two_days_later);
        keeper.consulted(day(two_days_later), two_days_later, CacheAnswer::Salt(salt(4)));
        assert_eq!(keeper.yesterday, DaySalt::Missing);
    }
}
