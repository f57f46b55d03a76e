//! Cookieless visitors (`CookielessTracking`): a visitor ID that lives one UTC day and is stored
//! nowhere on the device.
//!
//! The ID is a keyed hash of the site, the client's address and its User-Agent (`visitor_id`),
//! keyed by a random salt that changes every UTC day (`utc_day`) and is shared by every process
//! of a server, and across a farm, through one of httpd's socache providers. `salt_keeper` is
//! each process's memory of the day's salt and decides when to go back to the cache;
//! `fetch_or_make` is one visit to the cache; `salt_cache` is the `CookielessSaltCache`
//! directive and the cache's set-up from configuration to use.

pub mod fetch_or_make;
pub mod salt;
pub mod salt_cache;
pub mod salt_keeper;
pub mod utc_day;
pub mod visitor_id;
