//! RFC 9162 Merkle trees over SHA-256: hashes, roots, and inclusion and
//! consistency proofs, both made and checked.
//!
//! ```text
//! leaf hash  MTH({d})    = SHA-256(0x00 || d)
//! node hash  MTH(D[n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
//!            k = the largest power of two smaller than n
//! empty tree MTH({})     = SHA-256("")
//! ```
//!
//! The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; the
//! producers are iterative forms of PATH and PROOF (§2.1.3.1, §2.1.4.1),
//! checked against the recursive definitions in the tests. Every function
//! takes tree sizes and indices as `u64` and refuses proofs longer than
//! [`MAX_PROOF_HASHES`] before hashing anything.

use sha2::Digest as _;

use super::TlogError;

/// A SHA-256 tree node: a leaf hash, an interior node or a root.
pub type Hash = [u8; 32];

/// The longest proof accepted: a tree of 2⁶⁴ leaves has 64 levels, and no
/// inclusion or consistency proof in a tree of fewer than 2⁶³ leaves is
/// longer.
pub const MAX_PROOF_HASHES: usize = 64;

/// The root of the empty tree, SHA-256 of nothing.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The leaf hash of an entry: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    sha2::Sha256::new()
        .chain_update([0x00])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha2::Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: usize) -> usize {
    // For n >= 2, (n - 1) has its top bit at the split.
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The root of the tree whose leaf hashes are `leaves` (MTH), with
/// [`EMPTY_ROOT`] for no leaves.
///
/// Iterative, in O(n) hashes and O(log n) memory: complete subtrees are
/// merged on a stack as leaves arrive, and the ragged right edge folded at
/// the end, which gives the same tree as the recursive definition.
pub fn root(leaves: &[Hash]) -> Hash {
    // (height, hash) of complete subtrees, heights strictly decreasing.
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(64);
    for leaf in leaves {
        let mut node = (0u32, *leaf);
        while let Some(&(height, left)) = stack.last() {
            if height != node.0 {
                break;
            }
            stack.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        stack.push(node);
    }
    let mut iter = stack.into_iter().rev();
    let Some((_, mut acc)) = iter.next() else {
        return EMPTY_ROOT;
    };
    for (_, left) in iter {
        acc = node_hash(&left, &acc);
    }
    acc
}

fn too_long(len: usize) -> Result<(), TlogError> {
    if len > MAX_PROOF_HASHES {
        return Err(TlogError::ProofTooLong {
            len,
            max: MAX_PROOF_HASHES,
        });
    }
    Ok(())
}

fn index_of(index: u64, tree_size: usize) -> Result<usize, TlogError> {
    usize::try_from(index)
        .ok()
        .filter(|&i| i < tree_size)
        .ok_or(TlogError::IndexOutOfRange {
            index,
            tree_size: tree_size as u64,
        })
}

/// The inclusion proof of leaf `index` in the tree of `leaves` (PATH of
/// RFC 9162 §2.1.3.1), hashes ordered from the leaf up.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, TlogError> {
    let mut m = index_of(index, leaves.len())?;
    let mut d = leaves;
    // Siblings from the root down; reversed at the end.
    let mut path = Vec::new();
    while d.len() > 1 {
        let k = split_point(d.len());
        let (left, right) = d.split_at(k);
        if m < k {
            path.push(root(right));
            d = left;
        } else {
            path.push(root(left));
            m -= k;
            d = right;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof from the tree of the first `old_size` of `leaves`
/// to the tree of all of them (PROOF of RFC 9162 §2.1.4.1). It is empty
/// when `old_size` is 0 or `leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, TlogError> {
    let new_size = leaves.len() as u64;
    let mut m = usize::try_from(old_size)
        .ok()
        .filter(|&m| m <= leaves.len())
        .ok_or(TlogError::SizeOrder { old_size, new_size })?;
    if m == 0 {
        return Ok(Vec::new());
    }
    let mut d = leaves;
    // SUBPROOF(m, D, b), unrolled: each step appends one hash after the
    // recursive part, so they are collected root-first and reversed.
    let mut complete = true;
    let mut path = Vec::new();
    loop {
        if m == d.len() {
            if !complete {
                path.push(root(d));
            }
            break;
        }
        let k = split_point(d.len());
        let (left, right) = d.split_at(k);
        if m <= k {
            path.push(root(right));
            d = left;
        } else {
            path.push(root(left));
            m -= k;
            d = right;
            complete = false;
        }
    }
    path.reverse();
    Ok(path)
}

/// The root that an inclusion proof of `leaf` at `index` in a tree of
/// `tree_size` leaves leads to (RFC 9162 §2.1.3.2 without the final
/// comparison), for proofs whose root is checked by a signature over it
/// (COSE receipts).
pub fn root_from_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
) -> Result<Hash, TlogError> {
    too_long(proof.len())?;
    if index >= tree_size {
        return Err(TlogError::IndexOutOfRange { index, tree_size });
    }
    let mut fn_ = index;
    let mut sn = tree_size - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(TlogError::ProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(TlogError::ProofLength);
    }
    Ok(r)
}

/// Verifies that `leaf` is at `index` in the tree of `tree_size` leaves
/// whose root is `root` (RFC 9162 §2.1.3.2).
///
/// ```
/// use vouch_core::tlog::merkle::{inclusion_proof, leaf_hash, root, verify_inclusion};
/// let leaves: Vec<_> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
/// let proof = inclusion_proof(&leaves, 3).unwrap();
/// verify_inclusion(&leaves[3], 3, 5, &proof, &root(&leaves)).unwrap();
/// assert!(verify_inclusion(&leaves[2], 3, 5, &proof, &root(&leaves)).is_err());
/// ```
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), TlogError> {
    let computed = root_from_inclusion(leaf, index, tree_size, proof)?;
    if computed != *root {
        return Err(TlogError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a
/// prefix of the tree of `new_size` leaves with root `new_root`
/// (RFC 9162 §2.1.4.2).
///
/// Equal sizes need an empty proof and equal roots. An `old_size` of 0
/// (the empty tree is a prefix of every tree) needs an empty proof, as in
/// the transparency-dev verifier; RFC 9162 leaves that case out.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), TlogError> {
    too_long(proof.len())?;
    if old_size > new_size {
        return Err(TlogError::SizeOrder { old_size, new_size });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(TlogError::ProofLength);
        }
        if old_root != new_root {
            return Err(TlogError::RootMismatch);
        }
        return Ok(());
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(TlogError::ProofLength);
        }
        return Ok(());
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(TlogError::ProofLength);
    };
    // Step 2: a complete old tree is its own first node; the proof omits it.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = *seed;
    let mut sr = *seed;
    for c in rest {
        if sn == 0 {
            return Err(TlogError::ProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(TlogError::ProofLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(TlogError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// MTH of RFC 9162 §2.1.1, recursively.
    fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => EMPTY_ROOT,
            1 => d[0],
            n => {
                let k = split_point(n);
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    /// PATH of RFC 9162 §2.1.3.1, recursively.
    fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
        if d.len() <= 1 {
            return vec![];
        }
        let k = split_point(d.len());
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// SUBPROOF of RFC 9162 §2.1.4.1, recursively.
    fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = split_point(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn known_answers() {
        // The empty tree and the RFC 6962 test vectors' first leaf (the empty string).
        assert_eq!(root(&[]), EMPTY_ROOT);
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
    }

    /// Every index of every size up to 64, and a spread of indices (the
    /// edges, the middle, the split points) of every size up to 300.
    fn indices(n: usize) -> Vec<usize> {
        if n <= 64 {
            return (0..n).collect();
        }
        let k = split_point(n);
        let mut v = vec![0, 1, k - 1, k, n / 3, n / 2, n - 2, n - 1];
        v.retain(|&m| m < n);
        v
    }

    #[test]
    fn every_size_to_300_against_the_reference() {
        let all = leaves(300);
        for n in 1..=300 {
            let d = &all[..n];
            let r = root(d);
            assert_eq!(r, mth(d), "root n={n}");
            for m in indices(n) {
                let p = inclusion_proof(d, m as u64).unwrap();
                assert_eq!(p, path(m, d), "path m={m} n={n}");
                verify_inclusion(&d[m], m as u64, n as u64, &p, &r).unwrap();
            }
            for m in indices(n).into_iter().map(|m| m + 1) {
                let p = consistency_proof(d, m as u64).unwrap();
                let expected = if m == n { vec![] } else { subproof(m, d, true) };
                assert_eq!(p, expected, "proof m={m} n={n}");
                verify_consistency(m as u64, n as u64, &mth(&d[..m]), &r, &p).unwrap();
            }
        }
    }

    #[test]
    fn edges_refused() {
        let d = leaves(7);
        let r = root(&d);
        assert!(matches!(
            inclusion_proof(&d, 7),
            Err(TlogError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            verify_inclusion(&d[0], 7, 7, &[], &r),
            Err(TlogError::IndexOutOfRange { .. })
        ));
        let long = vec![[0u8; 32]; MAX_PROOF_HASHES + 1];
        assert!(matches!(
            verify_inclusion(&d[0], 0, 7, &long, &r),
            Err(TlogError::ProofTooLong { len: 65, max: 64 })
        ));
        assert!(matches!(
            verify_consistency(3, 7, &r, &r, &long),
            Err(TlogError::ProofTooLong { .. })
        ));
        assert!(matches!(
            verify_consistency(8, 7, &r, &r, &[]),
            Err(TlogError::SizeOrder { .. })
        ));
        assert!(consistency_proof(&d, 8).is_err());
        // Size 1: the leaf is the root, the proof is empty.
        verify_inclusion(&d[0], 0, 1, &[], &d[0]).unwrap();
        assert!(verify_inclusion(&d[0], 0, 1, &[d[1]], &d[0]).is_err());
        // Equal sizes and the empty old tree.
        verify_consistency(7, 7, &r, &r, &[]).unwrap();
        assert!(verify_consistency(7, 7, &r, &d[0], &[]).is_err());
        assert!(verify_consistency(7, 7, &r, &r, &[r]).is_err());
        verify_consistency(0, 7, &EMPTY_ROOT, &r, &[]).unwrap();
        assert!(verify_consistency(0, 7, &EMPTY_ROOT, &r, &[r]).is_err());
        assert!(verify_consistency(3, 7, &root(&d[..3]), &r, &[]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Changing any hash, the index, the size or the root makes an
        /// inclusion proof fail.
        #[test]
        fn inclusion_tampering_fails(n in 1usize..300, m in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>(), bit in 0u8..8, delta in 1u64..5) {
            let d = leaves(n);
            let m = m.index(n);
            let r = root(&d);
            let p = inclusion_proof(&d, m as u64).unwrap();
            prop_assert!(verify_inclusion(&d[m], m as u64, n as u64, &p, &r).is_ok());
            if !p.is_empty() {
                let mut q = p.clone();
                q[pick.index(p.len())][0] ^= 1 << bit;
                prop_assert!(verify_inclusion(&d[m], m as u64, n as u64, &q, &r).is_err());
                prop_assert!(verify_inclusion(&d[m], m as u64, n as u64, &p[..p.len() - 1], &r).is_err());
            }
            let mut extended = p.clone();
            extended.push(r);
            prop_assert!(verify_inclusion(&d[m], m as u64, n as u64, &extended, &r).is_err());
            let mut leaf = d[m];
            leaf[31] ^= 1 << bit;
            prop_assert!(verify_inclusion(&leaf, m as u64, n as u64, &p, &r).is_err());
            let mut bad_root = r;
            bad_root[pick.index(32)] ^= 1 << bit;
            prop_assert!(verify_inclusion(&d[m], m as u64, n as u64, &p, &bad_root).is_err());
            if n > 1 {
                let other = (m + pick.index(n - 1) + 1) % n;
                prop_assert!(verify_inclusion(&d[m], other as u64, n as u64, &p, &r).is_err());
            }
            // The size is bound to the root by the signed tree head, so a
            // wrong size is checked against that size's own root: a proof
            // for one tree proves nothing about another.
            let bigger = leaves(n + delta as usize);
            prop_assert!(verify_inclusion(&d[m], m as u64, n as u64 + delta, &p, &root(&bigger)).is_err());
            if (n as u64) > delta && (m as u64) < n as u64 - delta {
                let smaller = &d[..n - delta as usize];
                prop_assert!(verify_inclusion(&d[m], m as u64, n as u64 - delta, &p, &root(smaller)).is_err());
            }
        }

        /// Changing any hash, either size or either root makes a
        /// consistency proof fail.
        #[test]
        fn consistency_tampering_fails(n in 2usize..300, m in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>(), bit in 0u8..8, delta in 1u64..5) {
            let d = leaves(n);
            let m = m.index(n - 1) + 1; // 1..n-1: a non-trivial proof
            let (old, new) = (root(&d[..m]), root(&d));
            let p = consistency_proof(&d, m as u64).unwrap();
            prop_assert!(!p.is_empty());
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &new, &p).is_ok());
            let mut q = p.clone();
            q[pick.index(p.len())][0] ^= 1 << bit;
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &new, &q).is_err());
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &new, &p[..p.len() - 1]).is_err());
            let mut extended = p.clone();
            extended.push(new);
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &new, &extended).is_err());
            let mut bad = old;
            bad[pick.index(32)] ^= 1 << bit;
            prop_assert!(verify_consistency(m as u64, n as u64, &bad, &new, &p).is_err());
            let mut bad = new;
            bad[pick.index(32)] ^= 1 << bit;
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &bad, &p).is_err());
            // Other sizes, each with its own tree's root (see above).
            let bigger = leaves(n + delta as usize);
            prop_assert!(verify_consistency(m as u64, n as u64 + delta, &old, &root(&bigger), &p).is_err());
            let dm = delta as usize;
            if m + dm < n {
                prop_assert!(verify_consistency((m + dm) as u64, n as u64, &root(&d[..m + dm]), &new, &p).is_err());
            }
            if m > dm {
                prop_assert!(verify_consistency((m - dm) as u64, n as u64, &root(&d[..m - dm]), &new, &p).is_err());
            }
        }

        /// Arbitrary proofs never panic, and accept only what the honest
        /// proof accepts.
        #[test]
        fn arbitrary_inputs_never_panic(index in any::<u64>(), size in any::<u64>(), old in any::<u64>(), proof in proptest::collection::vec(any::<[u8; 32]>(), 0..70)) {
            let h = [7u8; 32];
            let _ = verify_inclusion(&h, index, size, &proof, &h);
            let _ = verify_consistency(old, size, &h, &h, &proof);
        }
    }
}
