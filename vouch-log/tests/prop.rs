//! Property: for any number of appends, every entry's inclusion proof at
//! the final size, read from the tiles, verifies against the signed root,
//! and every earlier checkpoint is consistent with the last.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sandbox, cheap_envelope, key};
use proptest::prelude::*;
use vouch_core::tlog::merkle;
use vouch_core::tlog::{Checkpoint, NoteVerifier};
use vouch_log::Log;

proptest! {
    // Each case writes a log to disk; a few cases cover the tile edges.
    #![proptest_config(ProptestConfig::with_cases(10))]

    #[test]
    fn every_inclusion_proof_verifies(n in 1u64..600, probe in 0u64..600) {
        let log_key = key();
        let s = Sandbox::new("prop");
        let mut log = Log::create(&s.dir, "example.com/prop", &log_key).unwrap();
        let verifier = NoteVerifier::ed25519("example.com/prop", log_key.public_key()).unwrap();
        let mut roots = Vec::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let a = log.append(&cheap_envelope(i), &log_key).unwrap();
            roots.push(a.root);
            leaves.push(a.leaf);
        }
        let log = Log::open_with(&s.dir, &verifier).unwrap();
        let cp = Checkpoint::verify(log.checkpoint_note(), &verifier, &[]).unwrap();
        let root = *cp.checkpoint().root();
        prop_assert_eq!(cp.checkpoint().size(), n);
        for index in 0..n {
            let proof = log.inclusion_proof(index, n).unwrap();
            prop_assert!(merkle::verify_inclusion(&leaves[index as usize], index, n, &proof, &root).is_ok());
        }
        // One earlier size, chosen by the probe: proofs there and to the end.
        let old = probe % n + 1;
        let old_root = roots[old as usize - 1];
        let index = probe % old;
        let proof = log.inclusion_proof(index, old).unwrap();
        prop_assert!(merkle::verify_inclusion(&leaves[index as usize], index, old, &proof, &old_root).is_ok());
        let proof = log.consistency_proof(old, n).unwrap();
        prop_assert!(merkle::verify_consistency(old, n, &old_root, &root, &proof).is_ok());
    }
}
