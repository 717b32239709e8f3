//! gomap-model
