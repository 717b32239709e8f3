//! The ghost state the single-goroutine map models (hmap, swiss) keep per iterator for the
//! iteration properties, and the checks on it, written once: which keys an iterator has
//! yielded, which of those were not deleted since, and which keys were present at the start
//! and never deleted. Key k is bit k-1 (keys 1..=64).

use serde::Serialize;

/// Bit of key k in the ghost key sets (0 outside 1..=64).
pub fn key_bit(k: u64) -> u64 {
    if (1..=64).contains(&k) {
        1u64 << (k - 1)
    } else {
        0
    }
}

/// Ghost state of one iterator, over key bits. Kept only when a selected property needs it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Default)]
pub struct IterGhost {
    /// Keys yielded so far.
    pub yielded: u64,
    /// Keys yielded and not deleted since they were yielded.
    pub yielded_live: u64,
    /// Keys present when the iteration started and never deleted since.
    pub stable: u64,
}

/// What a yield broke, for the model to turn into its own property bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct YieldFaults {
    /// The key was yielded before (`iter_key_at_most_once`).
    pub key_twice: bool,
    /// The same entry was yielded before: yielded and not deleted since.
    pub entry_twice: bool,
    /// The key is not in the map (`iter_skips_deleted`).
    pub deleted_key: bool,
    /// The elem is not the key's current one.
    pub stale_value: bool,
}

impl IterGhost {
    /// The iterator yields (k, e) while the abstract map is `abs` (elem of key k at index k,
    /// 0 = absent): records it and says what that broke.
    pub fn on_yield(&mut self, k: u64, e: u64, abs: &[u64]) -> YieldFaults {
        let kb = key_bit(k);
        let f = YieldFaults {
            key_twice: self.yielded & kb != 0,
            entry_twice: self.yielded_live & kb != 0,
            deleted_key: abs.get(k as usize).copied().unwrap_or(0) == 0,
            stale_value: abs.get(k as usize).is_some_and(|&cur| cur != 0 && cur != e),
        };
        self.yielded |= kb;
        self.yielded_live |= kb;
        f
    }

    /// Key k was deleted while the iterator was open.
    pub fn on_delete(&mut self, k: u64) {
        let kb = key_bit(k);
        self.yielded_live &= !kb;
        self.stable &= !kb;
    }

    /// The map was cleared while the iterator was open.
    pub fn on_clear(&mut self) {
        self.yielded_live = 0;
        self.stable = 0;
    }

    /// At the end of the iteration: a key present throughout was never yielded.
    pub fn missed_stable(&self) -> bool {
        self.stable & !self.yielded != 0
    }
}

impl YieldFaults {
    /// The model's violation bits for these faults, given its bit for each.
    pub fn bits(
        &self,
        key_twice: u64,
        entry_twice: u64,
        deleted_key: u64,
        stale_value: u64,
    ) -> u64 {
        let mut v = 0;
        if self.key_twice {
            v |= key_twice;
        }
        if self.entry_twice {
            v |= entry_twice;
        }
        if self.deleted_key {
            v |= deleted_key;
        }
        if self.stale_value {
            v |= stale_value;
        }
        v
    }
}

impl std::fmt::Display for IterGhost {
    /// `yielded={k1, k2} yielded_live={k2} stable={}`, as the state texts show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::svg::key_set;
        write!(
            f,
            "yielded={} yielded_live={} stable={}",
            key_set(self.yielded),
            key_set(self.yielded_live),
            key_set(self.stable)
        )
    }
}

/// The abstract map as the state texts show it: `k1=v1, k3=v2` (absent keys left out).
pub fn abs_text(abs: &[u64]) -> String {
    abs.iter()
        .enumerate()
        .filter(|(_, &v)| v != 0)
        .map(|(k, v)| format!("k{k}=v{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yield_reports_repeats_deleted_keys_and_stale_values() {
        let mut g = IterGhost {
            stable: key_bit(1) | key_bit(2),
            ..IterGhost::default()
        };
        let abs = [0, 5, 6, 0];
        assert_eq!(g.on_yield(1, 5, &abs), YieldFaults::default());
        assert!(g.missed_stable(), "k2 not yielded yet");
        let f = g.on_yield(1, 5, &abs);
        assert!(f.key_twice && f.entry_twice && !f.deleted_key && !f.stale_value);
        g.on_delete(1);
        let f = g.on_yield(1, 5, &abs);
        assert!(
            f.key_twice && !f.entry_twice,
            "deleted since: another entry"
        );
        assert!(g.on_yield(3, 1, &abs).deleted_key);
        assert!(g.on_yield(2, 7, &abs).stale_value);
        assert!(!g.missed_stable());
        assert_eq!(
            g.to_string(),
            "yielded={k1,k2,k3} yielded_live={k1,k2,k3} stable={k2}"
        );
        g.on_clear();
        assert_eq!((g.yielded_live, g.stable), (0, 0));
        assert_eq!(
            f.bits(1, 2, 4, 8) | g.on_yield(9, 1, &abs).bits(1, 2, 4, 8),
            1 | 4
        );
        assert_eq!(abs_text(&abs), "k1=v5, k2=v6");
    }
}
