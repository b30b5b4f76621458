//! Ed25519 batch verification agrees with single verification.
//!
//! vouch's rule (see `vouch_core::provider`): the cofactored equation
//! `[8](S·B − R − k·A) = 0`, with `S < ℓ`, canonical `R` and `A`, and no
//! small-order key. This file crafts the signatures on which rules differ
//! (R with each of the eight torsion points added, `S + ℓ`, non-canonical
//! encodings of R, small-order and non-canonical keys), using the secret
//! key to make the cofactored equation hold, and checks that:
//!
//! - each crafted item gets the answer the rule says;
//! - for every provider, single verification and the batch (sizes 1 to 64,
//!   valid and crafted items mixed) give the same answer per item, both at
//!   the vouch level ([`verify_ed25519_batch_with`] against
//!   [`PublicKey::verify_with`]) and at the provider level
//!   (`verify_batch` against `verify` on raw bytes, including inputs vouch
//!   would refuse above the provider);
//! - random batches (proptest) agree too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{Scalar, clamp_integer};
use proptest::prelude::*;
use sha2::{Digest as _, Sha512};
use vouch_core::provider::{self, CryptoProvider};
use vouch_core::{
    Algorithm, KeyError, PublicKey, Signature, VerifyError, verify_ed25519_batch,
    verify_ed25519_batch_with,
};

/// Every provider compiled in, by name.
fn providers() -> Vec<(&'static str, CryptoProvider)> {
    vec![
        ("rust", provider::rust::PROVIDER),
        #[cfg(feature = "aws-lc-rs")]
        ("aws-lc-rs", provider::aws_lc_rs::PROVIDER),
    ]
}

/// ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// p = 2²⁵⁵ − 19, little-endian.
const P: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// A point of order 8 (from the list of small-order encodings libsodium
/// refuses); checked below.
const ORDER_8: &str = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";

fn order_8_point() -> EdwardsPoint {
    let bytes: [u8; 32] = hex::decode(ORDER_8).unwrap().try_into().unwrap();
    let t = CompressedEdwardsY(bytes).decompress().unwrap();
    assert!(t.mul_by_cofactor() == EdwardsPoint::default());
    assert!(Scalar::from(4u64) * t != EdwardsPoint::default());
    t
}

/// The eight torsion points `j·T`, `j = 0..8`.
fn torsion() -> Vec<EdwardsPoint> {
    let t = order_8_point();
    (0..8u64).map(|j| Scalar::from(j) * t).collect()
}

fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// The other encodings of the same point: `y + p` when that still fits in
/// 255 bits, and the sign bit set when `x = 0`.
fn non_canonical_encodings(p: &EdwardsPoint) -> Vec<[u8; 32]> {
    let canonical = p.compress().to_bytes();
    let mut y = canonical;
    y[31] &= 0x7f;
    let sign = canonical[31] & 0x80;
    let mut out = Vec::new();
    // y < 19: y + p < 2^255.
    if y[1..].iter().all(|&b| b == 0) && y[0] < 19 {
        let mut e = add_le(&y, &P);
        e[31] |= sign;
        out.push(e);
    }
    // x = 0 exactly when y = ±1: the point is its own negation.
    if -*p == *p {
        let mut e = canonical;
        e[31] |= 0x80;
        out.push(e);
        if let Some(mut e) = out.first().copied().filter(|e| e[31] & 0x80 == 0) {
            e[31] |= 0x80;
            out.push(e);
        }
    }
    for e in &out {
        assert_ne!(e, &canonical);
        assert_eq!(
            CompressedEdwardsY(*e).decompress().map(|q| q == *p),
            Some(true),
            "{} does not decode to the point",
            hex::encode(e)
        );
    }
    out
}

/// A secret key we can sign anything with, including what no honest signer makes.
struct Secret {
    a: Scalar,
    public: [u8; 32],
    nonce_seed: [u8; 32],
}

impl Secret {
    fn new(seed: u8) -> Self {
        let h = Sha512::digest([seed; 32]);
        let clamped = clamp_integer(h[..32].try_into().unwrap());
        let a = Scalar::from_bytes_mod_order(clamped);
        let public = EdwardsPoint::mul_base(&a).compress().to_bytes();
        // The same key ed25519-dalek derives from the seed.
        let dalek = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        assert_eq!(dalek.verifying_key().to_bytes(), public);
        Secret {
            a,
            public,
            nonce_seed: h[32..].try_into().unwrap(),
        }
    }

    fn key(&self) -> PublicKey {
        PublicKey::ed25519(&self.public).unwrap()
    }

    fn nonce(&self, message: &[u8], salt: u64) -> Scalar {
        let h = Sha512::new()
            .chain_update(self.nonce_seed)
            .chain_update(salt.to_le_bytes())
            .chain_update(message)
            .finalize();
        Scalar::from_bytes_mod_order_wide(&h.into())
    }

    /// Signs with `R` encoded as `r_bytes` (whatever point it decodes to),
    /// given the nonce `r` such that `R = r·B + T` for a torsion `T`: then
    /// `S = r + k·a` satisfies the cofactored equation.
    fn sign_with_r(&self, r_bytes: [u8; 32], r: Scalar, message: &[u8]) -> [u8; 64] {
        let k = challenge(&r_bytes, &self.public, message);
        let s = r + k * self.a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_bytes);
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    /// An honest signature (salted nonce, so many distinct ones per message).
    fn sign(&self, message: &[u8], salt: u64) -> [u8; 64] {
        let r = self.nonce(message, salt);
        self.sign_with_r(EdwardsPoint::mul_base(&r).compress().to_bytes(), r, message)
    }

    /// `R = r·B + T`: the torsion component makes it mixed order (j ≠ 0).
    fn sign_mixed(&self, message: &[u8], salt: u64, t: &EdwardsPoint) -> [u8; 64] {
        let r = self.nonce(message, salt);
        let big_r = EdwardsPoint::mul_base(&r) + t;
        self.sign_with_r(big_r.compress().to_bytes(), r, message)
    }
}

fn challenge(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
    let h = Sha512::new()
        .chain_update(r)
        .chain_update(a)
        .chain_update(m)
        .finalize();
    Scalar::from_bytes_mod_order_wide(&h.into())
}

/// `S + ℓ` (still < 2²⁵⁶ because S < ℓ < 2²⁵³).
fn malleate(sig: &[u8; 64]) -> [u8; 64] {
    let mut out = *sig;
    let s: [u8; 32] = sig[32..].try_into().unwrap();
    out[32..].copy_from_slice(&add_le(&s, &ELL));
    out
}

/// One crafted case: the key bytes, message, signature, and what the rule says.
#[derive(Clone)]
struct Case {
    label: String,
    public: [u8; 32],
    message: Vec<u8>,
    signature: [u8; 64],
    /// vouch's answer (`None`: the key itself is refused at parse time).
    vouch: Option<bool>,
}

/// Every crafted case, for one key.
fn crafted(secret: &Secret, salt: u64) -> Vec<Case> {
    let msg = |s: &str| format!("{s} {salt}").into_bytes();
    let mut cases = Vec::new();
    let m = msg("valid");
    cases.push(Case {
        label: "valid".into(),
        public: secret.public,
        signature: secret.sign(&m, salt),
        message: m,
        vouch: Some(true),
    });
    let m = msg("malleated");
    cases.push(Case {
        label: "S + ℓ".into(),
        public: secret.public,
        signature: malleate(&secret.sign(&m, salt)),
        message: m,
        vouch: Some(false),
    });
    for (j, t) in torsion().iter().enumerate() {
        let m = msg(&format!("mixed {j}"));
        let sig = secret.sign_mixed(&m, salt, t);
        cases.push(Case {
            label: format!("R + {j}·T8"),
            public: secret.public,
            signature: sig,
            message: m.clone(),
            vouch: Some(true),
        });
        cases.push(Case {
            label: format!("(R + {j}·T8), S + ℓ"),
            public: secret.public,
            signature: malleate(&sig),
            message: m.clone(),
            vouch: Some(false),
        });
        // The same signature on another message.
        cases.push(Case {
            label: format!("R + {j}·T8, other message"),
            public: secret.public,
            signature: sig,
            message: msg("other"),
            vouch: Some(false),
        });
        // R purely of small order (nonce 0): the cofactored equation holds.
        let m = msg(&format!("small R {j}"));
        cases.push(Case {
            label: format!("R = {j}·T8"),
            public: secret.public,
            signature: secret.sign_with_r(t.compress().to_bytes(), Scalar::ZERO, &m),
            message: m,
            vouch: Some(true),
        });
        // The same R, non-canonically encoded (k is over the encoding used).
        for (n, e) in non_canonical_encodings(t).into_iter().enumerate() {
            let m = msg(&format!("non-canonical R {j} {n}"));
            cases.push(Case {
                label: format!("R = {j}·T8 encoded {}", hex::encode(e)),
                public: secret.public,
                signature: secret.sign_with_r(e, Scalar::ZERO, &m),
                message: m,
                vouch: Some(false),
            });
        }
        // A small-order key (canonical and not): with R = S·B, every
        // message "verifies" under the cofactored equation, which is why
        // such keys are refused when parsed.
        let mut keys = vec![t.compress().to_bytes()];
        keys.extend(non_canonical_encodings(t));
        for key in keys {
            let s = Scalar::from(7 + j as u64);
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(EdwardsPoint::mul_base(&s).compress().as_bytes());
            sig[32..].copy_from_slice(s.as_bytes());
            cases.push(Case {
                label: format!("small-order key {}", hex::encode(key)),
                public: key,
                signature: sig,
                message: msg("anything"),
                vouch: None,
            });
        }
    }
    cases
}

fn vouch_signature(case: &Case) -> Signature {
    Signature::new(Algorithm::Ed25519, &case.signature).unwrap()
}

#[test]
fn the_torsion_points_and_their_encodings() {
    let t = torsion();
    let distinct: std::collections::BTreeSet<[u8; 32]> =
        t.iter().map(|p| p.compress().to_bytes()).collect();
    assert_eq!(distinct.len(), 8);
    let non_canonical: usize = t.iter().map(|p| non_canonical_encodings(p).len()).sum();
    // identity: y=1 → y+p, sign set on both; y=-1: sign set; order 4 (y=0): y+p twice.
    println!("{non_canonical} non-canonical encodings of small-order points");
    assert!(non_canonical >= 6);
    for p in &t {
        for e in std::iter::once(p.compress().to_bytes()).chain(non_canonical_encodings(p)) {
            let refused = PublicKey::ed25519(&e).unwrap_err();
            assert!(
                matches!(
                    refused,
                    KeyError::SmallOrder | KeyError::InvalidPoint(Algorithm::Ed25519)
                ),
                "{}: {refused:?}",
                hex::encode(e)
            );
            // Through SPKI too: the check is in the one constructor.
            let mut der = hex::decode("302a300506032b6570032100").unwrap();
            der.extend_from_slice(&e);
            assert!(
                PublicKey::from_spki_der(&der).is_err(),
                "{}",
                hex::encode(e)
            );
        }
    }
}

#[test]
fn non_canonical_large_order_keys_are_refused() {
    // y < 19 with a point on the curve of large order, encoded as y + p.
    let mut found = 0;
    for y in 0u8..19 {
        let mut enc = [0u8; 32];
        enc[0] = y;
        for sign in [0u8, 0x80] {
            enc[31] = sign;
            let Some(p) = CompressedEdwardsY(enc).decompress() else {
                continue;
            };
            if p.is_small_order() {
                continue;
            }
            let canonical = p.compress().to_bytes();
            assert!(PublicKey::ed25519(&canonical).is_ok());
            for e in non_canonical_encodings(&p) {
                found += 1;
                assert_eq!(
                    PublicKey::ed25519(&e),
                    Err(KeyError::InvalidPoint(Algorithm::Ed25519)),
                    "{}",
                    hex::encode(e)
                );
            }
        }
    }
    assert!(found > 0, "no non-canonical large-order encoding found");
}

#[test]
fn each_crafted_case_gets_the_rules_answer() {
    let secret = Secret::new(1);
    let cases = crafted(&secret, 0);
    for (name, p) in providers() {
        for case in &cases {
            match (PublicKey::ed25519(&case.public), case.vouch) {
                (Ok(key), Some(expected)) => {
                    let single = key.verify_with(&p, &case.message, &vouch_signature(case));
                    assert_eq!(single.is_ok(), expected, "{} [{name}]", case.label);
                    if !expected {
                        assert_eq!(single, Err(VerifyError::BadSignature(key.key_id())));
                    }
                }
                (Err(_), None) => {}
                (parsed, expected) => panic!(
                    "{} [{name}]: key parse {:?}, expected {expected:?}",
                    case.label,
                    parsed.map(|k| k.key_id())
                ),
            }
        }
    }
}

/// The interop note of the module docs: a mixed-order R is refused by the
/// cofactorless rule (ed25519-dalek's `verify_strict`, as OpenSSH and
/// OpenSSL) and accepted by vouch, and ed25519-dalek's own batch accepts it
/// only sometimes (printed, not asserted: it depends on its random
/// coefficients).
#[test]
fn mixed_order_r_against_ed25519_dalek() {
    let secret = Secret::new(2);
    let dalek_key = ed25519_dalek::VerifyingKey::from_bytes(&secret.public).unwrap();
    let t = torsion();
    let mut dalek_batch_accepted = 0;
    for salt in 0..16u64 {
        for (j, tj) in t.iter().enumerate().skip(1) {
            let m = format!("m {salt} {j}").into_bytes();
            let sig = secret.sign_mixed(&m, salt, tj);
            let dalek_sig = ed25519_dalek::Signature::from_bytes(&sig);
            assert!(dalek_key.verify_strict(&m, &dalek_sig).is_err());
            let key = secret.key();
            let vsig = Signature::new(Algorithm::Ed25519, &sig).unwrap();
            for (_, p) in providers() {
                assert_eq!(key.verify_with(&p, &m, &vsig), Ok(()));
            }
            let honest = secret.sign(b"honest", salt);
            let ok = ed25519_dalek::verify_batch(
                &[&m, b"honest"],
                &[dalek_sig, ed25519_dalek::Signature::from_bytes(&honest)],
                &[dalek_key, dalek_key],
            )
            .is_ok();
            dalek_batch_accepted += usize::from(ok);
        }
    }
    println!(
        "ed25519-dalek verify_batch accepted {dalek_batch_accepted} of 112 mixed-order batches"
    );
}

/// Checks one batch both ways, at the vouch level and the provider level.
fn check_batch(p: &CryptoProvider, name: &str, cases: &[&Case]) {
    // Provider level, raw bytes (inputs vouch would refuse earlier included).
    let raw: Vec<(&[u8; 32], &[u8], &[u8; 64])> = cases
        .iter()
        .map(|c| (&c.public, c.message.as_slice(), &c.signature))
        .collect();
    let singles: Vec<bool> = raw
        .iter()
        .map(|(a, m, s)| p.ed25519.verify(a, m, s))
        .collect();
    assert_eq!(
        p.ed25519.verify_batch(&raw),
        singles.iter().all(|&b| b),
        "[{name}] provider batch of {} disagrees with {singles:?}",
        cases.len()
    );
    // vouch level: the keys that parse.
    let parsed: Vec<(PublicKey, &Case, Signature)> = cases
        .iter()
        .filter_map(|c| Some((PublicKey::ed25519(&c.public).ok()?, *c, vouch_signature(c))))
        .collect();
    let items: Vec<(&PublicKey, &[u8], &Signature)> = parsed
        .iter()
        .map(|(k, c, s)| (k, c.message.as_slice(), s))
        .collect();
    let batch = verify_ed25519_batch_with(p, &items);
    assert_eq!(batch.len(), items.len());
    for ((k, m, s), b) in items.iter().zip(&batch) {
        assert_eq!(&k.verify_with(p, m, s), b, "[{name}]");
    }
    for ((_, c, _), b) in parsed.iter().zip(&batch) {
        assert_eq!(Some(b.is_ok()), c.vouch, "[{name}] {}", c.label);
    }
}

#[test]
fn batches_of_1_to_64_agree_with_single_verification() {
    let secrets: Vec<Secret> = (10..14).map(Secret::new).collect();
    let mut pool = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        pool.extend(crafted(s, i as u64));
    }
    let valid: Vec<Case> = secrets
        .iter()
        .flat_map(|s| {
            (0..16u64).map(move |salt| {
                let m = format!("v {salt}").into_bytes();
                Case {
                    label: format!("valid {salt}"),
                    public: s.public,
                    signature: s.sign(&m, salt),
                    message: m,
                    vouch: Some(true),
                }
            })
        })
        .collect();
    // A deterministic walk over the pool: item i of batch n.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for (name, p) in providers() {
        for n in 1..=64usize {
            // All valid, and mixed: about one crafted item in four.
            let all_valid: Vec<&Case> = (0..n).map(|i| &valid[i % valid.len()]).collect();
            check_batch(&p, name, &all_valid);
            let mixed: Vec<&Case> = (0..n)
                .map(|_| {
                    let r = next() as usize;
                    if r.is_multiple_of(4) {
                        &pool[(r / 4) % pool.len()]
                    } else {
                        &valid[(r / 4) % valid.len()]
                    }
                })
                .collect();
            check_batch(&p, name, &mixed);
            // Valid items plus all mixed-order (accepted) ones.
            let accepted: Vec<&Case> = pool
                .iter()
                .filter(|c| c.vouch == Some(true))
                .chain(&valid)
                .take(n)
                .collect();
            check_batch(&p, name, &accepted);
        }
    }
}

#[test]
fn default_provider_batch() {
    let s = Secret::new(3);
    let key = s.key();
    let good = Signature::new(Algorithm::Ed25519, &s.sign(b"a", 0)).unwrap();
    let mixed = Signature::new(Algorithm::Ed25519, &s.sign_mixed(b"b", 0, &torsion()[3])).unwrap();
    let bad = Signature::new(
        Algorithm::Ed25519,
        &malleate(good.value().try_into().unwrap()),
    )
    .unwrap();
    let results = verify_ed25519_batch(&[
        (&key, b"a", &good),
        (&key, b"b", &mixed),
        (&key, b"a", &bad),
        (&key, b"c", &good),
    ]);
    assert_eq!(
        results,
        vec![
            Ok(()),
            Ok(()),
            Err(VerifyError::BadSignature(key.key_id())),
            Err(VerifyError::BadSignature(key.key_id()))
        ]
    );
    assert!(verify_ed25519_batch(&[]).is_empty());
    // Non-Ed25519 items get the single path's error.
    let es = Signature::new(Algorithm::Es256, good.value()).unwrap();
    assert!(matches!(
        verify_ed25519_batch(&[(&key, b"a", &es)])[0],
        Err(VerifyError::AlgorithmMismatch { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_batches_agree(
        picks in proptest::collection::vec((any::<u8>(), any::<u16>(), any::<bool>()), 1..40),
    ) {
        let secrets: Vec<Secret> = (20..23).map(Secret::new).collect();
        let pool: Vec<Case> = secrets.iter().enumerate().flat_map(|(i, s)| crafted(s, i as u64)).collect();
        let cases: Vec<Case> = picks
            .iter()
            .map(|&(k, salt, crafted)| {
                if crafted {
                    pool[usize::from(salt) % pool.len()].clone()
                } else {
                    let s = &secrets[usize::from(k) % secrets.len()];
                    let m = salt.to_le_bytes().to_vec();
                    Case {
                        label: "random valid".into(),
                        public: s.public,
                        signature: s.sign(&m, u64::from(k)),
                        message: m,
                        vouch: Some(true),
                    }
                }
            })
            .collect();
        let refs: Vec<&Case> = cases.iter().collect();
        for (name, p) in providers() {
            check_batch(&p, name, &refs);
        }
    }
}
