//! vouch_core::tlog::merkle: inclusion and consistency proofs from the
//! fuzzer (any index, sizes, hashes) never panic, and honest proofs of a
//! small tree built from the input verify.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vouch_core::tlog::Hash;
use vouch_core::tlog::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, root_from_inclusion, verify_consistency,
    verify_inclusion,
};

#[derive(Debug, Arbitrary)]
struct Input {
    index: u64,
    size: u64,
    old_size: u64,
    proof: Vec<Hash>,
    leaf: Hash,
    root: Hash,
    other_root: Hash,
    leaves: u8,
    pick: u8,
}

fuzz_target!(|i: Input| {
    let _ = root_from_inclusion(&i.leaf, i.index, i.size, &i.proof);
    let _ = verify_inclusion(&i.leaf, i.index, i.size, &i.proof, &i.root);
    let _ = verify_consistency(i.old_size, i.size, &i.root, &i.other_root, &i.proof);

    let n = u64::from(i.leaves % 64) + 1;
    let leaves: Vec<Hash> = (0..n).map(|k| leaf_hash(&k.to_le_bytes())).collect();
    let r = root(&leaves);
    let index = u64::from(i.pick) % n;
    let proof = inclusion_proof(&leaves, index).expect("an index in the tree");
    verify_inclusion(&leaves[index as usize], index, n, &proof, &r).expect("an honest proof");
    if !i.proof.is_empty() && i.proof != proof {
        assert!(
            verify_inclusion(&leaves[index as usize], index, n, &i.proof, &r).is_err(),
            "a forged inclusion proof verified"
        );
    }
    let old = u64::from(i.pick) % (n + 1);
    let cproof = consistency_proof(&leaves, old).expect("a size in the tree");
    let old_root = root(&leaves[..old as usize]);
    verify_consistency(old, n, &old_root, &r, &cproof).expect("an honest consistency proof");
});
