//! Chain-of-trust evaluation for vouch.
//!
//! This crate will hold the declarative policy, `verify(policy, roster,
//! bundle, target)` and the verdict with its human-readable trace.
