//! The signed statements of the vouch chain.
//!
//! This crate will hold the in-toto compatible `Statement` and its predicates
//! (commit, release / signed SBOM, image, deployment, roster), their COSE and
//! DSSE envelopes, and reproducible content manifests of directory trees.
