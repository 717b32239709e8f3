//! `runtime_mapaccess2_fast64` (runtime_fast64_swiss.go): the lookup along the probe
//! sequence of the key's table (or the small group), and the map's capacity.

use super::*;

impl Machine {
    /// `runtime_mapaccess2_fast64`.
    pub fn mapaccess2(&self, s: &mut SwissState, key: u64, log: &mut Log) -> Outcome {
        let (r, probed, at) = self.find(s, key);
        if probed == usize::MAX {
            s.ghost.violations |= viol::PROBE_NEVER_ENDS;
        } else if probed > 1 {
            s.ghost.events |= ev::PROBE_PAST_FIRST_GROUP;
        }
        log.note(|| {
            if s.m.used == 0 {
                return "m.used == 0: return the zero elem, false".to_string();
            }
            if s.dir_len() == 0 {
                return match at {
                    Some((_, i)) => format!(
                        "dirLen 0: scan the small group's full slots (matchFull): k{key} in slot {i}"
                    ),
                    None => format!(
                        "dirLen 0: scan the small group's full slots (matchFull): no k{key}"
                    ),
                };
            }
            let hash = self.hash(s, key);
            let idx = self.directory_index(s, hash);
            let tid = s.m.dir[idx];
            let mask = s.table(tid).length_mask();
            let mut t = format!(
                "{}; directoryIndex(hash) = {idx}: t{tid}; makeProbeSeq(H1, lengthMask {mask})",
                hash_note(key, hash)
            );
            let _ = match at {
                Some((gi, i)) => write!(
                    t,
                    ", probe offsets {}: matchH2({:#04x}) finds k{key} in group {gi} slot {i}",
                    probe_offsets(hash, mask, probed),
                    h2(hash)
                ),
                None if probed == usize::MAX => write!(
                    t,
                    ": every group full and no k{key}: the probe sequence never ends"
                ),
                None => {
                    let offsets = probe_offsets(hash, mask, probed);
                    let last = offsets.rsplit(", ").next().unwrap_or_default().to_string();
                    write!(
                        t,
                        ", probe offsets {offsets}: no k{key}, and group {last} has an empty slot (matchEmpty): end of the probe sequence"
                    )
                }
            };
            t
        });
        let want = s.ghost.abs.get(key as usize).copied().unwrap_or(0);
        if !s.ghost.abs.is_empty() && r.unwrap_or(0) != want {
            s.ghost.violations |= viol::ACCESS_MISMATCH;
        }
        Outcome::Access {
            elem: r.unwrap_or(0),
            found: r.is_some(),
        }
    }

    /// Sum of the capacities of the map's storage (small group or distinct tables).
    pub fn capacity(&self, s: &SwissState) -> u64 {
        if s.dir_len() == 0 {
            return if s.m.small.is_some() {
                self.geo.slots as u64
            } else {
                0
            };
        }
        s.dir_tables()
            .iter()
            .map(|&t| s.table(t).capacity as u64)
            .sum()
    }
}
