//! Transparent huge pages held off while a search runs.
//!
//! A search keeps taking fresh memory until it ends: a BFS for its queue of whole states, a
//! DFS for its visited set. The allocator (mimalloc) asks the kernel for transparent huge
//! pages on the memory it maps. On the machine the targets are measured on (a 2-core virtual
//! machine; docs/performance-checker.md, "Huge pages and the first touch of memory"), the
//! first touch of a fresh huge page costs more than touching the same memory as small pages:
//! a one-thread BFS of hmap-growth-in-progress spent 2.9-5.1 s in the kernel with huge pages
//! and 0.3-0.5 s without, with the same user time. The unsync capacity spec's DFS, whose
//! visited set grows to 16.8 million fingerprints, spent 7.5-8.5 s in the kernel against 1.6
//! s, and up to 10% more user time without huge pages (its random probes miss the TLB more
//! often): 0.94x of the wall time in all.
//!
//! [`NoHugePages`] turns huge pages off for the process (`prctl(PR_SET_THP_DISABLE)`) while
//! at least one search holds it, and puts back what was there before when the last one
//! ends. Memory already mapped as huge pages stays so; only new faults are affected. If the
//! flag was set before (by `MIMALLOC_ALLOW_THP=0`, or inherited from a parent process), it
//! stays set. `GOMAP_HUGE_PAGES=1` keeps huge pages, for machines where they are cheap.
//!
//! The exception is a large search's visited set: its probes land anywhere in its tables,
//! and with small pages almost every probe also misses the TLB. The patched stateright
//! (upstream/stateright, patch 0017) advises tables of 256 MiB or more as huge pages
//! (`madvise(MADV_HUGEPAGE)`), which the process-wide switch above would refuse. So once a
//! search holds [`LARGE_SEARCH_MB`] or more ([`NoHugePages::large_search`], called by the
//! search's watchdog), where the system gives huge pages only to advised memory (`madvise`
//! in /sys/kernel/mm/transparent_hugepage/enabled) and the binary has said how to stop its
//! allocator's own requests ([`set_allocator_thp_switch`]: mimalloc advises the memory it
//! maps), the allocator's requests are stopped and the process's huge pages turned back on:
//! tables made from then on get huge pages, the allocator's new memory small ones. A small
//! search is unchanged.

use std::sync::{Mutex, OnceLock};

/// How many searches hold huge pages off, whether the flag was set before the first, and
/// whether a large search has turned them back on for advised memory.
static HELD: Mutex<(usize, bool, bool)> = Mutex::new((0, false, false));

/// Turns the allocator's own requests for huge pages on (true) or off (false).
static ALLOCATOR_THP: OnceLock<fn(bool)> = OnceLock::new();

/// The memory (resident, MiB) from which a search is large: its visited tables are then
/// 256 MiB or more, the size stateright advises (see the module's header).
pub const LARGE_SEARCH_MB: u64 = 512;

/// Tells this module how to switch the global allocator's own requests for transparent huge
/// pages on and off (the binary does, for mimalloc), so that a large search can leave huge
/// pages to the memory stateright advises (see the module's header). The first call counts.
pub fn set_allocator_thp_switch(f: fn(bool)) {
    let _ = ALLOCATOR_THP.set(f);
}

/// Whether the system gives transparent huge pages only to memory advised for them.
fn thp_only_advised() -> bool {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .is_ok_and(|m| m.contains("[madvise]"))
}

/// Holds transparent huge pages off for the process while it lives (see the module docs).
#[must_use = "huge pages are back on when the guard is dropped"]
pub struct NoHugePages {
    active: bool,
}

impl NoHugePages {
    /// Turns huge pages off unless `GOMAP_HUGE_PAGES` is `1` (then a guard that does
    /// nothing).
    pub fn hold() -> NoHugePages {
        let keep = std::env::var_os("GOMAP_HUGE_PAGES").is_some_and(|v| v == "1");
        NoHugePages::hold_off(!keep)
    }

    fn hold_off(off: bool) -> NoHugePages {
        if !off {
            return NoHugePages { active: false };
        }
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if held.0 == 0 {
            held.1 = thp_disabled().unwrap_or(true);
            if !held.1 {
                set_thp_disabled(true);
            }
        }
        held.0 += 1;
        NoHugePages { active: true }
    }

    /// A search under a guard has grown large ([`LARGE_SEARCH_MB`]): where the system
    /// gives huge pages to advised memory only and the allocator's requests can be stopped,
    /// stops them and turns the process's huge pages back on, so that the visited tables
    /// stateright advises from then on get them (see the module's header). Until the last
    /// guard is dropped; returns whether it did (now or before). Nothing while no guard holds
    /// huge pages off.
    pub fn large_search() -> bool {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if held.0 > 0 && !held.2 && !held.1 {
            if let Some(switch) = ALLOCATOR_THP.get().filter(|_| thp_only_advised()) {
                switch(false);
                set_thp_disabled(false);
                held.2 = true;
            }
        }
        held.2
    }
}

impl Drop for NoHugePages {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.0 -= 1;
        if held.0 == 0 && !held.1 {
            if held.2 {
                if let Some(switch) = ALLOCATOR_THP.get() {
                    switch(true);
                }
                held.2 = false;
            }
            set_thp_disabled(false);
        }
    }
}

/// Whether transparent huge pages are off for this process (None where the kernel cannot
/// say).
pub fn thp_disabled() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET_THP_DISABLE takes no pointers; the other arguments must be 0.
        let r = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        (r >= 0).then_some(r == 1)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

fn set_thp_disabled(off: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes a flag and no pointers; the other arguments must be
    // 0. A failure leaves the process as it was, which only costs speed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, off as libc::c_ulong, 0, 0, 0);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = off;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Huge pages are off while a guard lives (with a nested one dropped first too), and as
    /// they were before the first guard once the last one is dropped; a guard that holds
    /// nothing changes nothing. Other tests' searches may hold guards at the same time, so
    /// the last check is made under the guards' lock, when none is held.
    #[test]
    fn guards_turn_huge_pages_off_and_back() {
        thp_disabled().expect("PR_GET_THP_DISABLE answers on Linux");
        {
            let a = NoHugePages::hold_off(true);
            assert_eq!(thp_disabled(), Some(true));
            let b = NoHugePages::hold_off(true);
            drop(b);
            assert_eq!(thp_disabled(), Some(true), "a guard is still held");
            let none = NoHugePages::hold_off(false);
            drop(none);
            assert_eq!(thp_disabled(), Some(true), "an empty guard changes nothing");
            drop(a);
        }
        // A large search, where only advised memory gets huge pages: the allocator's
        // requests stopped and the process's huge pages back on while a guard is held, and
        // both as before once the last one is dropped.
        static CALLS: Mutex<Vec<bool>> = Mutex::new(Vec::new());
        set_allocator_thp_switch(|on| CALLS.lock().unwrap().push(on));
        assert!(!NoHugePages::large_search(), "no guard held: nothing to do");
        if thp_only_advised() {
            let g = NoHugePages::hold_off(true);
            let before_large = HELD.lock().unwrap().1;
            if !before_large {
                assert!(NoHugePages::large_search());
                assert_eq!(thp_disabled(), Some(false));
                assert!(NoHugePages::large_search(), "once is enough");
                assert_eq!(*CALLS.lock().unwrap(), [false]);
            }
            drop(g);
            let held = HELD.lock().unwrap();
            if held.0 == 0 && !before_large {
                assert_eq!(*CALLS.lock().unwrap(), [false, true]);
                assert_eq!(thp_disabled(), Some(held.1));
            }
        }
        let held = HELD.lock().unwrap();
        if held.0 == 0 {
            assert_eq!(
                thp_disabled(),
                Some(held.1),
                "back as before the first guard"
            );
        }
    }
}
