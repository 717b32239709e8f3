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

use std::sync::Mutex;

/// How many searches hold huge pages off, and whether the flag was set before the first.
static HELD: Mutex<(usize, bool)> = Mutex::new((0, false));

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
}

impl Drop for NoHugePages {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.0 -= 1;
        if held.0 == 0 && !held.1 {
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
