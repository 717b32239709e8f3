//! `SwissMap<K, V>`: Go 1.24's runtime map, the Swiss table of `internal/runtime/maps`,
//! ported step by step with Go's names for the memory layout of `map[uint64]uint64`.
//!
//! # What it follows (Go 1.24.11, `src/internal/runtime/maps`)
//! - `group.go`: `ctrl`, `ctrlEmpty`/`ctrlDeleted`, `ctrlGroup` (`get`, `set`, `setEmpty`,
//!   `matchH2`, `matchEmpty`, `matchEmptyOrDeleted`, `matchFull`), `bitset` (`first`,
//!   `removeFirst`, `removeBelow`, `lowestSet`, `shiftOutLowest`), `alignUpPow2`,
//!   `newGroups`: [`group`].
//! - `map.go`: `h1`/`h2`, `Map`, `NewMap`, `directoryIndex`, `replaceTable`,
//!   `installTableSplit`, `getWithKey`/`getWithKeySmall`, `growToSmall`, `growToTable`,
//!   `Delete`/`deleteSmall`, `Clear`/`clearSmall`: [`map`] (map.rs).
//! - `table.go`: `table`, `newTable`, `reset`, `resetGrowthLeft`, `getWithKey`,
//!   `uncheckedPutSlot`, `Delete`, `tombstones`, `Clear`, `rehash`, `split`, `grow`,
//!   `probeSeq`, and the iterator `Iter` (`Init`, `Next`, `nextDirIdx`, `grownKeyElem`):
//!   [`map`] (map/table.rs, map/iter.rs; `probeSeq` in [`group`]).
//! - `runtime_fast64_swiss.go`: `runtime_mapaccess2_fast64` (a small map is scanned
//!   without hashing), `putSlotSmallFast64` and `runtime_mapassign_fast64` (the table
//!   insert loop is inlined there), `runtime_mapdelete_fast64`: what the compiler calls for
//!   `map[uint64]uint64`, so what the recorder observes: [`map`] (map/fast64.rs;
//!   `runtime_mapdelete_fast64` only calls `Map.Delete`, in map.rs).
//! - `table_debug.go` `checkInvariants`: the table part of [`SwissMap::check_invariants`]
//!   (map/check.rs).
//!
//! # What ties it to real Go
//! `tests/go-oracle-swiss/` runs op sequences on a real Go 1.24 `map[uint64]uint64`, reads
//! the `Map`, directory, tables, groups (control words and every slot, stale bytes
//! included) and the iterator (`maps.Iter` inside `reflect.MapIter`) through unsafe after
//! every op, and writes swiss-v1 traces (`docs/swiss-trace-format.md`). [`trace`] replays
//! them on this port with the recorded seeds, hashes and iterator offsets and compares every
//! byte, every lookup result and every iterator yield; `impl/tests/swiss_replay.rs`
//! replays the committed corpus `tests/traces-swiss/`. Traces recorded with
//! `GODEBUG=cpu.aes=off` carry `runtime.hashkey`, and the replay then computes every hash
//! itself with [`GoMemHasher124`] (Go 1.24's `memhash64Fallback`, also checked against
//! vectors from real Go) instead of taking the recorded ones.
//!
//! # Go 1.24 facts this port keeps (checked against the source, see the trace corpus)
//! - A table never rehashes in place: `rehash` always allocates a table of twice the
//!   capacity (`grow`) or, past `maxTableCapacity` (1024 slots), `split`s into two tables
//!   of 1024 slots with `localDepth + 1`. Tombstones are dropped only by that copy (the TODO
//!   in `rehash` says in-place rehash is unclear with iteration). Later Go versions (1.27 at
//!   least) first try `pruneTombstones` when `growthLeft == 0`; this port does not.
//! - An insert reuses the first tombstone of its probe sequence, but only after probing to
//!   a group with an empty slot (the key may exist further on); reusing a tombstone does not
//!   consume `growthLeft`.
//! - A small map (no directory, `dirLen == 0`, `dirPtr` is one group) holds 8 entries and
//!   never has tombstones. `runtime_mapassign_fast64` grows it to a 16-slot table when
//!   `used == 8`, even if the assign only updates an existing key (fixed in later Go).
//! - Deleting clears the elem but not the key (`uint64` has no pointers), so deleted and
//!   empty slots keep stale keys; `Clear` zeroes whole groups.
//!
//! # Where later Go differs (Go 1.27.3's `internal/runtime/maps`, read and recorded)
//! - `table.pruneTombstones`: when `growthLeft == 0`, an insert first tries to turn
//!   tombstones no probe sequence needs back into empty slots (if at least 10% of the
//!   capacity can be recovered) before `rehash`. A 1.27 trace departs from this port at
//!   the first insert where pruning avoids a grow.
//! - Small maps: `putSlotSmallFast64` returns nil instead of throwing when the group is
//!   full, so an update of a key of a full small map no longer grows it; a new key grows
//!   it with `growToTable` + `uncheckedPutSlotForAssignFast64`.
//! - `table.Clear` returns early for a table with no entries and no tombstones and, when
//!   fewer than a quarter of its groups can hold entries (`used*4 <= lengthMask`), zeroes
//!   only the groups with a full slot (other groups keep stale keys); `Map.Clear` also
//!   runs when `used == 0` but `tombstonePossible` (a new `Map` field in former padding),
//!   (the `clearSeq++` of `clearSmall` moved into `Map.Clear`: one increment either way).
//! - `abi.SwissMapType` became `abi.MapType` with `KeysOff/KeyStride/ElemsOff/ElemStride`
//!   (for `GOEXPERIMENT=mapsplitgroup`, off by default, which puts all keys before all
//!   elems); uint64 hashing calls `memHash64AES`/`memHash64Fallback` directly; `Map`,
//!   `table`, group and `Iter` layouts are otherwise unchanged.
//!
//! Deviations from Go common to the whole module (each also marked where it applies):
//! keys are assumed reflexive (`k == k`), so Go's NaN branches are absent; nothing is ever
//! freed (tables and group arrays live in arenas so iterators keep their identity); the
//! `&mut` API makes the concurrent-access throws unreachable except through
//! [`SwissMap::simulate_concurrent_writer`]; there is no nil map (`Map == nil`).

pub mod group;
pub mod hash;
pub mod map;
pub mod trace;

#[cfg(test)]
mod tests;

pub use group::{Bitset, CtrlGroup, ProbeSeq, CTRL_DELETED, CTRL_EMPTY};
pub use hash::{GoMemHasher124, SwissHasher, SwissRandom};
pub use map::{
    GroupSnapshot, GroupsId, Invariant, InvariantViolation, IterId, IterSnapshot, MapSnapshot,
    SwissMap, TableId, TableSnapshot, MAX_AVG_GROUP_LOAD, MAX_TABLE_CAPACITY,
    SWISS_MAP_GROUP_SLOTS,
};
pub use trace::{
    parse_swiss_trace, parse_swiss_trace_str, parse_swiss_trace_str_any_version,
    replay_swiss_trace, ReplayHasher, ReplayRandom, SwissReplayMismatch, SwissReplayReport,
    SwissTrace, SwissTraceError,
};
