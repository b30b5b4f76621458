//! Ed25519 checks that vouch-core makes above every provider, and batch
//! verification with a fallback that names the bad signatures.
//!
//! The rule is in the [`provider`](crate::provider) module docs.

use curve25519_dalek::edwards::CompressedEdwardsY;

use crate::key::PublicKey;
use crate::provider::CryptoProvider;
use crate::sig::{Signature, VerifyError};

/// ℓ = 2²⁵² + 27742317777372353535851937790883648493, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// p = 2²⁵⁵ − 19, little-endian.
const P: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// `a < b` for little-endian 256-bit integers (variable time: public data).
fn less_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().rev().lt(b.iter().rev())
}

/// `S < ℓ`.
pub(crate) fn scalar_is_canonical(s: &[u8; 32]) -> bool {
    less_than(s, &ELL)
}

/// A point encoding is canonical when `y < p` and the sign bit is clear
/// whenever `x` must be 0 (`y = ±1`). A byte check, no field arithmetic;
/// whether the point exists is left to decompression.
pub(crate) fn point_encoding_is_canonical(p: &[u8; 32]) -> bool {
    let mut y = *p;
    y[31] &= 0x7f;
    let sign = p[31] >> 7 == 1;
    if !less_than(&y, &P) {
        return false;
    }
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut minus_one = P;
    minus_one[0] -= 1;
    !(sign && (y == one || y == minus_one))
}

/// A canonical encoding of a point on the curve.
pub(crate) fn public_key_is_canonical(a: &[u8; 32]) -> bool {
    point_encoding_is_canonical(a) && CompressedEdwardsY(*a).decompress().is_some()
}

/// Not one of the eight points of small order.
pub(crate) fn public_key_has_large_order(a: &[u8; 32]) -> bool {
    CompressedEdwardsY(*a)
        .decompress()
        .is_some_and(|p| !p.is_small_order())
}

/// The byte-level checks on a signature value: `R` canonical, `S < ℓ`.
pub(crate) fn signature_is_canonical(sig: &[u8; 64]) -> bool {
    let (r, s) = sig.split_at(32);
    let (Ok(r), Ok(s)) = (<&[u8; 32]>::try_from(r), <&[u8; 32]>::try_from(s)) else {
        return false;
    };
    point_encoding_is_canonical(r) && scalar_is_canonical(s)
}

/// Verifies many Ed25519 signatures at once with the default provider:
/// one result per item, in order, each exactly what
/// [`PublicKey::verify`] would return for it.
///
/// Items that fail the checks above the provider (algorithm, FIDO evidence,
/// encodings) are refused without arithmetic; the rest are checked as one
/// batch, and only when the batch fails is each of them verified alone to
/// name the bad ones. Single and batch verification follow the same
/// cofactored rule (see [`provider`](crate::provider)), so the answer does
/// not depend on which items share a batch.
///
/// ```
/// use ed25519_dalek::Signer as _;
/// use vouch_core::{Algorithm, PublicKey, Signature, verify_ed25519_batch};
///
/// let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
/// let key = PublicKey::ed25519(sk.verifying_key().as_bytes()).unwrap();
/// let good = Signature::new(Algorithm::Ed25519, &sk.sign(b"a").to_bytes()).unwrap();
/// let bad = Signature::new(Algorithm::Ed25519, &sk.sign(b"b").to_bytes()).unwrap();
/// let results = verify_ed25519_batch(&[(&key, b"a", &good), (&key, b"a", &bad)]);
/// assert!(results[0].is_ok());
/// assert!(results[1].is_err());
/// ```
pub fn verify_ed25519_batch(
    items: &[(&PublicKey, &[u8], &Signature)],
) -> Vec<Result<(), VerifyError>> {
    verify_ed25519_batch_with(CryptoProvider::get_default(), items)
}

/// [`verify_ed25519_batch`] with an explicit provider.
pub fn verify_ed25519_batch_with(
    provider: &CryptoProvider,
    items: &[(&PublicKey, &[u8], &Signature)],
) -> Vec<Result<(), VerifyError>> {
    // The checks above the provider, per item; what passes waits for the batch.
    let mut results: Vec<Result<(), VerifyError>> = Vec::with_capacity(items.len());
    let mut pending = Vec::with_capacity(items.len());
    for (i, (key, message, signature)) in items.iter().enumerate() {
        let point = key.ed25519_point();
        let value = <&[u8; 64]>::try_from(signature.value()).ok();
        let signed = key.signed_bytes(provider, message, signature);
        match (point, value, signed) {
            (_, _, Err(e)) => results.push(Err(e)),
            (Some(public), Some(value), Ok(signed)) if signature_is_canonical(value) => {
                results.push(Ok(()));
                pending.push((i, public, signed, value));
            }
            // Not Ed25519 or not canonical: the single path gives its error.
            _ => results.push(key.verify_with(provider, message, signature)),
        }
    }
    let batch: Vec<(&[u8; 32], &[u8], &[u8; 64])> = pending
        .iter()
        .map(|(_, a, m, s)| (*a, m.as_ref(), *s))
        .collect();
    if !provider.ed25519.verify_batch(&batch) {
        for ((i, _, _, _), (a, m, s)) in pending.iter().zip(&batch) {
            if !provider.ed25519.verify(a, m, s) {
                results[*i] = Err(VerifyError::BadSignature(items[*i].0.key_id()));
            }
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_encodings() {
        assert!(scalar_is_canonical(&[0; 32]));
        assert!(!scalar_is_canonical(&ELL));
        let mut below = ELL;
        below[0] -= 1;
        assert!(scalar_is_canonical(&below));
        assert!(!point_encoding_is_canonical(&P));
        let mut p_minus_one = P;
        p_minus_one[0] -= 1;
        assert!(point_encoding_is_canonical(&p_minus_one));
        p_minus_one[31] |= 0x80;
        assert!(!point_encoding_is_canonical(&p_minus_one));
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(point_encoding_is_canonical(&one));
        one[31] |= 0x80;
        assert!(!point_encoding_is_canonical(&one));
    }
}
