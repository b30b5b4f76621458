use super::*;
use crate::cose::Sign;
use crate::sig::Signature;
use crate::signer::SignError;
use crate::tlog::merkle::{inclusion_proof, leaf_hash, root};
use crate::tlog::note::tests::ed;
use proptest::prelude::*;

struct P256(p256::ecdsa::SigningKey, PublicKey);

impl Signer for P256 {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
        use signature::Signer as _;
        let sig: p256::ecdsa::Signature = self.0.sign(m);
        Ok(Signature::new(Algorithm::Es256, &sig.to_bytes()).unwrap())
    }
}

fn p256_key() -> P256 {
    let sk = p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let pk = PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
    P256(sk, pk)
}

fn tree(n: u8) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&[i])).collect()
}

#[test]
fn issue_and_verify_ed25519_and_es256() {
    let leaves = tree(13);
    let r = root(&leaves);
    let proof = inclusion_proof(&leaves, 9).unwrap();
    let ed_key = ed(7);
    let es_key = p256_key();
    for (signer, iat) in [
        (&ed_key as &dyn Signer, Some(1_700_000_123)),
        (&es_key as &dyn Signer, None),
    ] {
        let bytes = Receipt::issue(signer, &leaves[9], 9, 13, &proof, iat).unwrap();
        let receipt = Receipt::from_bytes(&bytes).unwrap();
        assert_eq!((receipt.tree_size(), receipt.leaf_index()), (13, 9));
        assert_eq!(receipt.unverified_issued_at(), iat);
        let v = receipt.verify(&leaves[9], signer.public_key()).unwrap();
        assert_eq!((v.tree_size(), v.leaf_index(), v.root()), (13, 9, &r));
        assert_eq!(v.issued_at(), iat);
        assert_eq!(v.key_id(), signer.key_id());
        // Another leaf, another key.
        assert!(receipt.verify(&leaves[8], signer.public_key()).is_err());
        let other = if signer.algorithm() == Algorithm::Ed25519 {
            ed(8).public_key().clone()
        } else {
            ed_key.public_key().clone()
        };
        assert!(receipt.verify(&leaves[9], &other).is_err());
    }
}

/// What the signature of a receipt covers: the root, not the tree size and
/// leaf index of the unprotected proof. Leaf 2's path in a tree of 5
/// leaves takes the same left/right turns in trees of 6 to 8 leaves, so
/// the receipt with its size changed to 6 still verifies, for the same
/// root. (A checkpoint signs its size; a receipt does not.)
#[test]
fn size_is_bound_only_by_the_path() {
    let key = ed(3);
    let leaves = tree(5);
    let proof = inclusion_proof(&leaves, 2).unwrap();
    let good = Receipt::issue(&key, &leaves[2], 2, 5, &proof, None).unwrap();
    let mut msg = CoseSign1::from_tagged_slice(&good).unwrap();
    msg.unprotected = coset::HeaderBuilder::new()
        .value(
            VDP_LABEL,
            Value::Map(vec![(
                Value::from(INCLUSION_PROOFS),
                Value::Array(vec![Value::Bytes(encode_inclusion_proof(6, 2, &proof))]),
            )]),
        )
        .build();
    let v = Receipt::from_bytes(&msg.to_tagged_vec().unwrap())
        .unwrap()
        .verify(&leaves[2], key.public_key())
        .unwrap();
    assert_eq!((v.tree_size(), v.root()), (6, &root(&leaves)));
}

#[test]
fn one_leaf_tree_has_an_empty_path() {
    let leaf = leaf_hash(b"only");
    let bytes = Receipt::issue(&ed(1), &leaf, 0, 1, &[], None).unwrap();
    let v = Receipt::from_bytes(&bytes)
        .unwrap()
        .verify(&leaf, ed(1).public_key())
        .unwrap();
    assert_eq!(v.root(), &leaf);
}

/// A receipt rebuilt with its parts changed by `edit`, signed over `root`
/// with the same key (so only the changed part can refuse it).
fn edited(
    signer: &dyn Signer,
    root: &Hash,
    edit: impl FnOnce(&mut coset::Header, &mut coset::Header),
) -> Vec<u8> {
    let leaves = tree(5);
    let proof = inclusion_proof(&leaves, 2).unwrap();
    let bytes = Receipt::issue(signer, &leaves[2], 2, 5, &proof, None).unwrap();
    let mut msg = CoseSign1::from_tagged_slice(&bytes).unwrap();
    edit(&mut msg.protected.header, &mut msg.unprotected);
    msg.protected.original_data = None;
    let tbs = msg.tbs_detached_data(root, b"");
    msg.signature = signer.try_sign(&tbs).unwrap().value().to_vec();
    msg.to_tagged_vec().unwrap()
}

#[test]
fn tampering_and_malformed_receipts_refused() {
    let key = ed(3);
    let leaves = tree(5);
    let r = root(&leaves);
    let proof = inclusion_proof(&leaves, 2).unwrap();
    let good = Receipt::issue(&key, &leaves[2], 2, 5, &proof, None).unwrap();
    let receipt = Receipt::from_bytes(&good).unwrap();
    receipt.verify(&leaves[2], key.public_key()).unwrap();

    // Flip a path hash, change the index or the size: the signature is over another root.
    for (size, index, flip) in [(5, 2, true), (5, 3, false), (9, 2, false), (4, 2, false)] {
        let mut p = proof.clone();
        if flip {
            p[0][0] ^= 1;
        }
        let mut msg = CoseSign1::from_tagged_slice(&good).unwrap();
        msg.unprotected = coset::HeaderBuilder::new()
            .value(
                VDP_LABEL,
                Value::Map(vec![(
                    Value::from(INCLUSION_PROOFS),
                    Value::Array(vec![Value::Bytes(encode_inclusion_proof(size, index, &p))]),
                )]),
            )
            .build();
        let bytes = msg.to_tagged_vec().unwrap();
        assert!(
            Receipt::from_bytes(&bytes)
                .unwrap()
                .verify(&leaves[2], key.public_key())
                .is_err(),
            "{size} {index} {flip}"
        );
    }

    // An attached payload must be the computed root.
    let mut msg = CoseSign1::from_tagged_slice(&good).unwrap();
    msg.payload = Some(r.to_vec());
    let attached = msg.clone().to_tagged_vec().unwrap();
    Receipt::from_bytes(&attached)
        .unwrap()
        .verify(&leaves[2], key.public_key())
        .unwrap();
    msg.payload = Some(vec![0; 32]);
    let wrong = msg.to_tagged_vec().unwrap();
    assert!(matches!(
        Receipt::from_bytes(&wrong)
            .unwrap()
            .verify(&leaves[2], key.public_key()),
        Err(TlogError::RootMismatch)
    ));

    // Another verifiable data structure, or none.
    let other_vds = edited(&key, &r, |p, _| {
        p.rest = vec![(Label::Int(VDS_LABEL), Value::from(2))];
    });
    assert!(matches!(
        Receipt::from_bytes(&other_vds),
        Err(TlogError::UnsupportedVds(2))
    ));
    let no_vds = edited(&key, &r, |p, _| p.rest.clear());
    assert!(Receipt::from_bytes(&no_vds).is_err());
    // Two inclusion proofs, or none.
    let two = edited(&key, &r, |_, u| {
        let proof = Value::Bytes(encode_inclusion_proof(5, 2, &proof));
        u.rest = vec![(
            Label::Int(VDP_LABEL),
            Value::Map(vec![(
                Value::from(INCLUSION_PROOFS),
                Value::Array(vec![proof.clone(), proof]),
            )]),
        )];
    });
    assert!(Receipt::from_bytes(&two).is_err());
    let none = edited(&key, &r, |_, u| u.rest.clear());
    assert!(Receipt::from_bytes(&none).is_err());
    // The algorithm must be protected and the key's.
    let no_alg = edited(&key, &r, |p, _| p.alg = None);
    assert!(
        Receipt::from_bytes(&no_alg)
            .unwrap()
            .verify(&leaves[2], key.public_key())
            .is_err()
    );
    let es = edited(&key, &r, |p, _| {
        p.alg = Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::ES256,
        ));
    });
    assert!(
        Receipt::from_bytes(&es)
            .unwrap()
            .verify(&leaves[2], key.public_key())
            .is_err()
    );
    // The same edits re-signed correctly still verify: the helper changes nothing else.
    let same = edited(&key, &r, |_, _| {});
    Receipt::from_bytes(&same)
        .unwrap()
        .verify(&leaves[2], key.public_key())
        .unwrap();
    // Untagged, and too long a path.
    assert!(Receipt::from_bytes(&good[1..]).is_err());
    let long = vec![[0u8; 32]; MAX_PROOF_HASHES + 1];
    let too_long = edited(&key, &r, |_, u| {
        u.rest = vec![(
            Label::Int(VDP_LABEL),
            Value::Map(vec![(
                Value::from(INCLUSION_PROOFS),
                Value::Array(vec![Value::Bytes(encode_inclusion_proof(5, 2, &long))]),
            )]),
        )];
    });
    assert!(matches!(
        Receipt::from_bytes(&too_long),
        Err(TlogError::ProofTooLong { .. })
    ));
}

#[test]
fn receipts_fit_the_header_limit() {
    use crate::cose::{EnvelopeError, MAX_HEADER_LEN};
    let original = Sign::new("text/plain", b"x".to_vec())
        .unwrap()
        .to_bytes()
        .unwrap();
    // {394: [bstr]}: a1 19 018a 81 59 <u16 len>, 8 bytes of framing.
    let fits = vec![0u8; MAX_HEADER_LEN - 8];
    let with = attach_receipts(&original, std::slice::from_ref(&fits)).unwrap();
    assert_eq!(receipts(&with).unwrap(), [fits.as_slice()]);
    Sign::from_bytes(&with).unwrap();
    let past = vec![0u8; MAX_HEADER_LEN - 7];
    match attach_receipts(&original, &[past]) {
        Err(TlogError::Envelope(EnvelopeError::HeaderTooLarge { len, max, .. })) => {
            assert_eq!((len, max), (MAX_HEADER_LEN + 1, MAX_HEADER_LEN));
        }
        other => panic!("{other:?}"),
    }
    // Many receipts together count too.
    assert!(attach_receipts(&original, &vec![vec![0u8; 1100]; 60]).is_err());
}

#[test]
fn envelope_carries_receipts() {
    let author = ed(11);
    let log = ed(12);
    let mut env = Sign::new(
        "application/vnd.vouch.statement+cbor",
        b"statement".to_vec(),
    )
    .unwrap();
    env.add_signature(&author).unwrap();
    let original = env.to_bytes().unwrap();
    assert!(receipts(&original).unwrap().is_empty());
    assert!(matches!(
        registered_bytes(&original).unwrap(),
        Cow::Borrowed(_)
    ));

    // The log registers the statement as leaf 3 of 4.
    let leaf = statement_leaf(&original).unwrap();
    assert_eq!(leaf, leaf_hash(&original));
    let mut leaves = tree(4);
    leaves[3] = leaf;
    let proof = inclusion_proof(&leaves, 3).unwrap();
    let receipt = Receipt::issue(&log, &leaf, 3, 4, &proof, Some(1_750_000_000)).unwrap();

    let with = attach_receipts(&original, std::slice::from_ref(&receipt)).unwrap();
    // Still a canonical vouch envelope whose signature verifies.
    let decoded = Sign::from_bytes(&with).unwrap();
    let key = author.public_key().clone();
    decoded
        .verify(|k| (*k == key.key_id()).then_some(&key))
        .unwrap();
    assert_eq!(decoded.to_bytes().unwrap(), with);
    // The receipt comes back out, the leaf is unchanged, and it verifies.
    assert_eq!(receipts(&with).unwrap(), [receipt.as_slice()]);
    assert_eq!(
        registered_bytes(&with).unwrap().as_ref(),
        original.as_slice()
    );
    assert_eq!(statement_leaf(&with).unwrap(), leaf);
    let v = Receipt::from_bytes(receipts(&with).unwrap()[0])
        .unwrap()
        .verify(&statement_leaf(&with).unwrap(), log.public_key())
        .unwrap();
    assert_eq!(v.issued_at(), Some(1_750_000_000));
    // Replacing and removing.
    let twice = attach_receipts(&with, &[receipt.clone(), receipt.clone()]).unwrap();
    assert_eq!(receipts(&twice).unwrap().len(), 2);
    assert_eq!(attach_receipts(&twice, &[]).unwrap(), original);
    // A COSE_Sign1 too.
    let one = crate::cose::Sign1::sign(&author, "text/plain", b"x")
        .unwrap()
        .to_bytes()
        .unwrap();
    let with_one = attach_receipts(&one, std::slice::from_ref(&receipt)).unwrap();
    crate::cose::Sign1::from_bytes(&with_one)
        .unwrap()
        .verify(author.public_key())
        .unwrap();
    assert_eq!(
        registered_bytes(&with_one).unwrap().as_ref(),
        one.as_slice()
    );
    // Not an envelope.
    assert!(receipts(&[0x80]).is_err());
    assert!(receipts(&[0xd8, 0x63, 0x80]).is_err());
    // Receipts that are not an array of byte strings.
    let mut bad = with.clone();
    let pos = bad
        .windows(3)
        .position(|w| w == [0x19, 0x01, 0x8a])
        .unwrap();
    bad[pos + 3] = 0xa1; // map head instead of array
    assert!(receipts(&bad).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Issue then decode gives back the proof; any mutation of the bytes
    /// is refused or, when it still decodes and verifies, proves the same.
    #[test]
    fn receipt_round_trip_and_mutations(n in 1u8..40, pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>(), iat in proptest::option::of(any::<i64>())) {
        let leaves = tree(n);
        let i = pick.index(n as usize);
        let proof = inclusion_proof(&leaves, i as u64).unwrap();
        let key = ed(5);
        let mut bytes = Receipt::issue(&key, &leaves[i], i as u64, n as u64, &proof, iat).unwrap();
        let receipt = Receipt::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&receipt.path, &proof);
        prop_assert_eq!(receipt.unverified_issued_at(), iat);
        let good = receipt.verify(&leaves[i], key.public_key()).unwrap();
        let j = at.index(bytes.len());
        bytes[j] = byte;
        if let Ok(r) = Receipt::from_bytes(&bytes)
            && let Ok(v) = r.verify(&leaves[i], key.public_key())
        {
            prop_assert_eq!(v, good);
        }
    }

    /// Attaching then removing receipts gives back the envelope's bytes,
    /// and arbitrary bytes never panic the envelope walker.
    #[test]
    fn attach_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..64), receipts_in in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4), junk in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut env = Sign::new("a/b", payload).unwrap();
        env.add_signature(&ed(2)).unwrap();
        let original = env.to_bytes().unwrap();
        let with = attach_receipts(&original, &receipts_in).unwrap();
        prop_assert!(Sign::from_bytes(&with).is_ok());
        let back: Vec<Vec<u8>> = receipts(&with).unwrap().into_iter().map(<[u8]>::to_vec).collect();
        prop_assert_eq!(back, receipts_in);
        let registered = registered_bytes(&with).unwrap();
        prop_assert_eq!(registered.as_ref(), original.as_slice());
        let _ = receipts(&junk);
        let _ = registered_bytes(&junk);
        let _ = Receipt::from_bytes(&junk);
    }
}
