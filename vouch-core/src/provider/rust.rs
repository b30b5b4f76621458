//! The pure-Rust provider: curve25519-dalek (the version ed25519-dalek 3
//! uses) for cofactored Ed25519 and its batches, p256 for ES256, sha2.
//!
//! Ed25519 is implemented on `curve25519-dalek` directly rather than through
//! `ed25519-dalek`, whose `verify_strict` is cofactorless and whose
//! `verify_batch` is cofactored with its own coefficients, so the two do not
//! accept the same set. `ed25519-zebra` implements the ZIP-215 equation
//! too, but it is a further dependency with its own key types, and ZIP-215
//! as written accepts non-canonical encodings of `R` and `A`, which vouch
//! refuses; the equation is a few lines on the curve25519-dalek already
//! compiled in (and checked here against ed25519-dalek's signatures and the
//! Wycheproof vectors).

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity as _, VartimeMultiscalarMul as _};
use sha2::Digest as _;

use super::CryptoProvider;

/// The pure-Rust provider, vouch-core's default.
pub const PROVIDER: CryptoProvider = CryptoProvider {
    ed25519: &Ed25519Dalek,
    es256: &Es256P256,
    sha256,
};

/// SHA-256 with the `sha2` crate.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

/// Cofactored Ed25519 on curve25519-dalek.
#[derive(Debug)]
pub struct Ed25519Dalek;

/// ES256 with the `p256` crate.
#[derive(Debug)]
pub struct Es256P256;

/// `k = SHA-512(R || A || M) mod ℓ`, streamed (no allocation).
fn challenge(r: &[u8], a: &[u8; 32], message: &[u8]) -> Scalar {
    let h = sha2::Sha512::new()
        .chain_update(r)
        .chain_update(a)
        .chain_update(message)
        .finalize();
    Scalar::from_bytes_mod_order_wide(&h.into())
}

/// The decoded parts of one signature, or `None` when a part does not decode.
struct Parts {
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

fn parts(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Option<Parts> {
    let (r_bytes, s_bytes) = signature.split_at(32);
    let a = CompressedEdwardsY(*public).decompress()?;
    let r = CompressedEdwardsY::from_slice(r_bytes).ok()?.decompress()?;
    let s_bytes: [u8; 32] = s_bytes.try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let k = challenge(r_bytes, public, message);
    Some(Parts { a, r, s, k })
}

/// The cofactored equation `[8](S·B − R − k·A) = 0` for one signature.
pub(crate) fn verify_cofactored(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Some(p) = parts(public, message, signature) else {
        return false;
    };
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &(-p.a), &p.s);
    (sb_minus_ka - p.r).mul_by_cofactor().is_identity()
}

/// `[8] Σ zᵢ(Sᵢ·B − Rᵢ − kᵢ·Aᵢ) = 0` with 128-bit random `zᵢ`.
///
/// Signatures by the same key share one term: `Σ (zᵢkᵢ)·A` instead of one
/// `zᵢkᵢ·A` each, as ed25519-zebra's batch does. The equation is the same
/// sum, so the answer is too; each key is decompressed once and the
/// multiscalar multiplication shrinks by one point per repeated key (the
/// signatures of a release are mostly by a few maintainers).
pub(crate) fn verify_batch_cofactored(items: &[(&[u8; 32], &[u8], &[u8; 64])]) -> bool {
    match items {
        [] => return true,
        [(a, m, s)] => return verify_cofactored(a, m, s),
        _ => {}
    }
    let mut seed = vec![0u8; 16 * items.len()];
    if getrandom::fill(&mut seed).is_err() {
        // No randomness, no batch: the same answer, one at a time.
        return items.iter().all(|(a, m, s)| verify_cofactored(a, m, s));
    }
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    // The distinct keys, each with the sum of its coefficients.
    let mut keys: Vec<(&[u8; 32], Scalar)> = Vec::new();
    for ((a, m, s), z) in items.iter().zip(seed.chunks_exact(16)) {
        let (r_bytes, s_bytes) = s.split_at(32);
        let Some(r) = CompressedEdwardsY::from_slice(r_bytes)
            .ok()
            .and_then(|r| r.decompress())
        else {
            return false;
        };
        let Some(s) = <[u8; 32]>::try_from(s_bytes)
            .ok()
            .and_then(|s| Option::<Scalar>::from(Scalar::from_canonical_bytes(s)))
        else {
            return false;
        };
        let k = challenge(r_bytes, a, m);
        let mut wide = [0u8; 32];
        wide[..16].copy_from_slice(z);
        let z = Scalar::from_bytes_mod_order(wide);
        b_coefficient += z * s;
        scalars.push(-z);
        points.push(r);
        match keys.iter_mut().find(|(key, _)| key == a) {
            Some((_, c)) => *c -= z * k,
            None => keys.push((a, -(z * k))),
        }
    }
    for (a, c) in keys {
        let Some(a) = CompressedEdwardsY(*a).decompress() else {
            return false;
        };
        scalars.push(c);
        points.push(a);
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
        .mul_by_cofactor()
        .is_identity()
}

impl super::Ed25519 for Ed25519Dalek {
    fn verify(&self, public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        verify_cofactored(public, message, signature)
    }

    fn verify_batch(&self, items: &[(&[u8; 32], &[u8], &[u8; 64])]) -> bool {
        verify_batch_cofactored(items)
    }
}

impl super::Es256 for Es256P256 {
    fn verify(&self, public: &[u8; 65], message: &[u8], signature: &[u8; 64]) -> bool {
        use signature::Verifier as _;
        let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(public) else {
            return false;
        };
        let Ok(sig) = p256::ecdsa::Signature::from_slice(signature) else {
            return false;
        };
        key.verify(message, &sig).is_ok()
    }
}
