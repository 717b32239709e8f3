//! gomap-impl
