//! What this store last saw of each record: the base its next write compares against.

use std::collections::HashMap;

use coffer_core::store::RecordKind;

use crate::version::RecordVersion;

/// How many records' bases are kept. Past that the memory is emptied (all but the record just
/// read): a write whose base was forgotten is refused as a [`Conflict`](crate::PgErrorKind)
/// and succeeds once retried after a read, so forgetting costs a retry, never a lost update.
/// The façade writes a record right after reading it, so that never happens in practice.
pub const MAX_BASES: usize = 4096;

/// What a record was when this store last read or wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// There was no record.
    Absent,
    /// The record had this version.
    Version(RecordVersion),
}

/// The bases of the records this store has read or written, by kind and name.
#[derive(Debug, Default)]
pub(crate) struct Bases {
    seen: HashMap<(RecordKind, String), Base>,
}

impl Bases {
    /// The base of `kind`/`name`, if this store has one.
    pub(crate) fn get(&self, kind: RecordKind, name: &str) -> Option<Base> {
        // A borrowed key would need a second map type; names are short.
        self.seen.get(&(kind, name.to_owned())).copied()
    }

    /// Remembers `base` for `kind`/`name`.
    pub(crate) fn set(&mut self, kind: RecordKind, name: &str, base: Base) {
        let key = (kind, name.to_owned());
        if self.seen.len() >= MAX_BASES && !self.seen.contains_key(&key) {
            self.seen.clear();
        }
        self.seen.insert(key, base);
    }

    /// Forgets the base of `kind`/`name` (after a failed compare-and-swap: the next write
    /// needs a fresh read).
    pub(crate) fn forget(&mut self, kind: RecordKind, name: &str) {
        self.seen.remove(&(kind, name.to_owned()));
    }

    /// Forgets every base.
    pub(crate) fn clear(&mut self) {
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_keeps_the_newest() {
        let mut bases = Bases::default();
        for i in 0..MAX_BASES {
            bases.set(RecordKind::Key, &i.to_string(), Base::Absent);
        }
        assert_eq!(bases.get(RecordKind::Key, "0"), Some(Base::Absent));
        // Replacing a known record does not empty the memory; a new one past the bound does.
        bases.set(RecordKind::Key, "0", Base::Version(RecordVersion::new(7)));
        assert_eq!(bases.get(RecordKind::Key, "1"), Some(Base::Absent));
        bases.set(RecordKind::Alias, "new", Base::Version(RecordVersion::new(8)));
        assert_eq!(bases.get(RecordKind::Key, "1"), None);
        assert_eq!(bases.get(RecordKind::Alias, "new"), Some(Base::Version(RecordVersion::new(8))));
        assert_eq!(bases.get(RecordKind::Key, "new"), None, "kinds are apart");
        bases.forget(RecordKind::Alias, "new");
        assert_eq!(bases.get(RecordKind::Alias, "new"), None);
    }
}
