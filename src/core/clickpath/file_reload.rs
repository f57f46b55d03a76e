//! `ClickPathUAExceptionsFile` / `ClickPathFriendlySessionsFile` (spec §4.6): the file is read
//! again whenever its modification time is newer than at the last read; while it exists it
//! replaces the container's table, and once it is gone the container's table applies again.
//! This is the decision only: the embedder stats and reads.

/// A modification time, in nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mtime(pub i128);

/// What a process currently holds from the file.
#[derive(Debug)]
pub enum FileTable<T> {
    /// Not read (yet), or the file went away: the container's table applies.
    Absent,
    Loaded { mtime: Mtime, table: T },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reload {
    /// The file is gone: forget what was read, use the container.
    Forget,
    /// Keep what was read.
    Keep,
    /// Read the file (new, or changed since the last read).
    Read,
}

impl<T> FileTable<T> {
    /// `stat`: the file's mtime, or `None` if it cannot be stat'ed.
    pub fn decide(&self, stat: Option<Mtime>) -> Reload {
        match (self, stat) {
            (_, None) => Reload::Forget,
            (Self::Loaded { mtime, .. }, Some(now)) if now <= *mtime => Reload::Keep,
            (_, Some(_)) => Reload::Read,
        }
    }

    /// Applies `decide`'s answer. `read` gives the parsed file, or `None` when it cannot be
    /// read: then a table read before stays, and with none the container applies.
    pub fn apply(&mut self, decision: Reload, stat: Option<Mtime>, read: impl FnOnce() -> Option<T>) {
        match (decision, stat) {
            (Reload::Forget, _) => *self = Self::Absent,
            (Reload::Read, Some(mtime)) => {
                if let Some(table) = read() {
                    *self = Self::Loaded { mtime, table };
                }
            }
            _ => {}
        }
    }

    pub fn table(&self) -> Option<&T> {
        match self {
            Self::Absent => None,
            Self::Loaded { table, .. } => Some(table),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(state: &mut FileTable<&'static str>, stat: Option<i128>, content: Option<&'static str>) -> Reload {
        let stat = stat.map(Mtime);
        let decision = state.decide(stat);
        state.apply(decision, stat, || content);
        decision
    }

    #[test]
    fn the_lifecycle_of_an_edited_file() {
        let mut state = FileTable::Absent;
        assert_eq!(step(&mut state, None, Some("never read")), Reload::Forget);
        assert_eq!(state.table(), None, "no file: the container applies");
        assert_eq!(step(&mut state, Some(10), Some("v1")), Reload::Read);
        assert_eq!(state.table(), Some(&"v1"));
        assert_eq!(step(&mut state, Some(10), Some("not read again")), Reload::Keep);
        assert_eq!(state.table(), Some(&"v1"));
        assert_eq!(step(&mut state, Some(11), Some("v2")), Reload::Read);
        assert_eq!(state.table(), Some(&"v2"));
        assert_eq!(step(&mut state, Some(5), Some("older")), Reload::Keep, "only newer counts");
        assert_eq!(step(&mut state, None, None), Reload::Forget);
        assert_eq!(state.table(), None, "deleted: the container applies again");
    }

    #[test]
    fn unreadable_files() {
        let mut state = FileTable::Absent;
        step(&mut state, Some(1), None);
        assert_eq!(state.table(), None, "unreadable and never read: the container");
        step(&mut state, Some(2), Some("v1"));
        step(&mut state, Some(3), None);
        assert_eq!(state.table(), Some(&"v1"), "unreadable after a read: the last good table");
        assert_eq!(step(&mut state, Some(3), Some("v2")), Reload::Read, "it is tried again");
    }
}
