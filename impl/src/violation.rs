//! A violated invariant and what was found: the error of both ports' `check_invariants`,
//! over each port's own invariant enum ([`crate::map::Invariant`],
//! [`crate::swiss::Invariant`]).

use std::fmt;

/// A violated invariant, with where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantViolation<I> {
    /// Which invariant.
    pub invariant: I,
    /// The offending place and values.
    pub detail: String,
}

impl<I: fmt::Display> fmt::Display for InvariantViolation<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} violated: {}", self.invariant, self.detail)
    }
}

impl<I: fmt::Debug + fmt::Display> std::error::Error for InvariantViolation<I> {}
