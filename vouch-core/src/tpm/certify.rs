//! Verifying a TPM2_Certify: the attestation key's signature over the
//! TPMS_ATTEST bytes, and the rules for the AK and for the certified key.

use signature::hazmat::PrehashVerifier as _;

use super::structures::{
    AttestSignature, Attested, KeyParams, ObjectAttributes, Public, TPM_ECC_NIST_P256,
    TPM_GENERATED_VALUE, alg, alg_name, hash, name_with, st,
};
use super::{KeyAttestation, LegacySha1, TpmError, VerifiedTpmKey, binding};
use crate::key::{Algorithm, PublicKey};

/// What an attestation key must be: a restricted signing key (so it signs
/// only structures the TPM made, never a forged TPMS_ATTEST handed to it)
/// that cannot leave its TPM.
pub const AK_REQUIRED: ObjectAttributes = ObjectAttributes::RESTRICTED
    .union(ObjectAttributes::SIGN)
    .union(ObjectAttributes::FIXED_TPM)
    .union(ObjectAttributes::FIXED_PARENT);

/// What a vouch signing key must be: generated inside the TPM, never
/// duplicable, and able to sign.
pub const KEY_REQUIRED: ObjectAttributes = ObjectAttributes::FIXED_TPM
    .union(ObjectAttributes::FIXED_PARENT)
    .union(ObjectAttributes::SENSITIVE_DATA_ORIGIN)
    .union(ObjectAttributes::SIGN);

/// What a vouch signing key must not be: restricted (it would refuse to
/// sign vouch's statements, or it is an AK being passed off as a signing
/// key) or a decryption key (one key, one purpose).
pub const KEY_FORBIDDEN: ObjectAttributes =
    ObjectAttributes::RESTRICTED.union(ObjectAttributes::DECRYPT);

/// RSA attestation keys shorter than this are refused, as for certificates.
const MIN_RSA_BITS: usize = 2048;

/// Checks an attestation key's attributes: [`AK_REQUIRED`].
pub fn check_ak_attributes(ak: &Public) -> Result<(), TpmError> {
    let missing = AK_REQUIRED.difference(ak.attributes());
    if missing.is_empty() {
        Ok(())
    } else {
        Err(TpmError::AkAttributes { missing })
    }
}

/// Checks a certified signing key's attributes: all of [`KEY_REQUIRED`],
/// none of [`KEY_FORBIDDEN`].
pub fn check_key_attributes(key: &Public) -> Result<(), TpmError> {
    let a = key.attributes();
    let missing = KEY_REQUIRED.difference(a);
    let forbidden = a.intersection(KEY_FORBIDDEN);
    if missing.is_empty() && forbidden.is_empty() {
        Ok(())
    } else {
        Err(TpmError::KeyAttributes { missing, forbidden })
    }
}

/// Verifies the AK's signature over the exact TPMS_ATTEST bytes `attest`,
/// with SHA-256: ECDSA on P-256, RSASSA-PKCS1-v1_5 or RSASSA-PSS.
pub fn verify_ak_signature(
    ak: &Public,
    attest: &[u8],
    sig: &AttestSignature,
) -> Result<(), TpmError> {
    verify_signature(ak, attest, sig, LegacySha1::Refuse)
}

/// Verifies an RSA AK's SHA-1 signature (RSASSA-PKCS1-v1_5 or RSASSA-PSS)
/// over `attest`: what older TPMs and Windows Hello made, and what the
/// public samples carry. SHA-1 only; [`KeyAttestation::verify`] never
/// calls this.
pub fn verify_ak_signature_legacy_sha1(
    ak: &Public,
    attest: &[u8],
    sig: &AttestSignature,
) -> Result<(), TpmError> {
    if sig.hash() != alg::SHA1 || matches!(sig, AttestSignature::Ecdsa { .. }) {
        return Err(TpmError::UnsupportedAlgorithm(format!(
            "{} with {} (this function checks RSA with SHA-1 only)",
            alg_name(sig.sig_alg()),
            alg_name(sig.hash())
        )));
    }
    verify_signature(ak, attest, sig, LegacySha1::Allow)
}

fn unsupported(sig: &AttestSignature, why: &str) -> TpmError {
    TpmError::UnsupportedAlgorithm(format!(
        "{} with {}{why}",
        alg_name(sig.sig_alg()),
        alg_name(sig.hash())
    ))
}

/// A big-endian integer as exactly 32 bytes, if it fits.
fn be32(v: &[u8]) -> Option<[u8; 32]> {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    let v = v.get(start..)?;
    let mut out = [0u8; 32];
    let at = 32usize.checked_sub(v.len())?;
    out.get_mut(at..)?.copy_from_slice(v);
    Some(out)
}

fn verify_signature(
    ak: &Public,
    attest: &[u8],
    sig: &AttestSignature,
    sha1: LegacySha1,
) -> Result<(), TpmError> {
    let h = sig.hash();
    match (h, sha1) {
        (alg::SHA256, _) | (alg::SHA1, LegacySha1::Allow) => {}
        _ => return Err(unsupported(sig, "")),
    }
    let digest = hash(h, attest).ok_or_else(|| unsupported(sig, ""))?;
    match (sig, ak.params()) {
        (AttestSignature::Ecdsa { r, s, .. }, KeyParams::Ecc { curve, x, y, .. }) => {
            if *curve != TPM_ECC_NIST_P256 {
                return Err(unsupported(sig, " on a curve other than NIST P-256"));
            }
            if h == alg::SHA1 {
                return Err(unsupported(sig, ""));
            }
            let (Some(x), Some(y)) = (be32(x), be32(y)) else {
                return Err(TpmError::BadSignature);
            };
            let mut sec1 = vec![0x04];
            sec1.extend_from_slice(&x);
            sec1.extend_from_slice(&y);
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                .map_err(|_| TpmError::BadSignature)?;
            let (Some(r), Some(s)) = (be32(r), be32(s)) else {
                return Err(TpmError::BadSignature);
            };
            let sig =
                p256::ecdsa::Signature::from_scalars(r, s).map_err(|_| TpmError::BadSignature)?;
            key.verify_prehash(&digest, &sig)
                .map_err(|_| TpmError::BadSignature)
        }
        (
            AttestSignature::Rsassa { sig: s, .. } | AttestSignature::Rsapss { sig: s, .. },
            KeyParams::Rsa {
                exponent, modulus, ..
            },
        ) => {
            use rsa::traits::PublicKeyParts as _;
            let e = if *exponent == 0 { 65537 } else { *exponent };
            let n = rsa::BoxedUint::from_be_slice_vartime(modulus);
            let key = rsa::PublicKey::new(n, rsa::BoxedUint::from(u64::from(e)))
                .map_err(|_| unsupported(sig, " (the AK's RSA key is invalid)"))?;
            if key.size() * 8 < MIN_RSA_BITS {
                return Err(unsupported(sig, " (the AK's RSA key is under 2048 bits)"));
            }
            let ok = match (sig, h) {
                (AttestSignature::Rsassa { .. }, alg::SHA256) => {
                    key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, s)
                }
                (AttestSignature::Rsassa { .. }, _) => {
                    key.verify(rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), &digest, s)
                }
                // TPMs pick the PSS salt length: the hash's, or the largest
                // the key allows. `Pss::new` recovers short salts but (in
                // rsa 0.10) not the largest, which is tried by its length.
                (_, alg::SHA256) => key
                    .verify(rsa::Pss::<sha2::Sha256>::new(), &digest, s)
                    .or_else(|_| {
                        let max = key.size().saturating_sub(32 + 2);
                        key.verify(rsa::Pss::<sha2::Sha256>::new_with_salt(max), &digest, s)
                    }),
                _ => key
                    .verify(rsa::Pss::<sha1::Sha1>::new(), &digest, s)
                    .or_else(|_| {
                        let max = key.size().saturating_sub(20 + 2);
                        key.verify(rsa::Pss::<sha1::Sha1>::new_with_salt(max), &digest, s)
                    }),
            };
            ok.map_err(|_| TpmError::BadSignature)
        }
        _ => Err(unsupported(sig, " by an AK of another key type")),
    }
}

/// The checks of [`KeyAttestation::verify`], in its documented order.
pub(super) fn verify(
    att: &KeyAttestation,
    key: &PublicKey,
    trusted_aks: &[&[u8]],
    sha1: LegacySha1,
) -> Result<VerifiedTpmKey, TpmError> {
    // 1. The AK: one the roster trusts, byte for byte, and a real AK.
    if !trusted_aks.contains(&att.ak_public.as_slice()) {
        return Err(TpmError::UntrustedAk);
    }
    check_ak_attributes(&att.ak)?;
    // 2. The TPM said it: the AK signed these exact bytes.
    verify_signature(&att.ak, &att.attest, &att.signature, sha1)?;
    // 3. It is a TPM2_Certify the TPM made.
    let a = &att.parsed_attest;
    if a.magic() != TPM_GENERATED_VALUE {
        return Err(TpmError::WrongMagic(a.magic()));
    }
    let (st::ATTEST_CERTIFY, Attested::Certify { name, .. }) = (a.attest_type(), a.attested())
    else {
        return Err(TpmError::WrongType(a.attest_type()));
    };
    // 4. Of this public area: the Name commits to every byte of it.
    if att.key.name_alg() == alg::SHA1 && sha1 == LegacySha1::Refuse {
        return Err(TpmError::UnsupportedAlgorithm(
            "TPM_ALG_SHA1 as the certified key's nameAlg".into(),
        ));
    }
    if name_with(att.key.name_alg(), &att.key_public).as_ref() != Some(name) {
        return Err(TpmError::NameMismatch);
    }
    // 5. Which is a non-duplicable signing key the TPM generated.
    check_key_attributes(&att.key)?;
    // 6. Whose key is the enrolled one.
    if !same_key(&att.key, key) {
        return Err(TpmError::KeyMismatch);
    }
    // 7. Certified for this enrollment, not replayed from another.
    if a.extra_data() != binding(key) {
        return Err(TpmError::ExtraDataMismatch);
    }
    Ok(VerifiedTpmKey {
        key_id: key.key_id(),
        ak_name: att.ak_name(),
        firmware_version: a.firmware_version(),
        clock_info: a.clock_info(),
        qualified_signer: a.qualified_signer().to_vec(),
    })
}

/// Whether the public area holds `key`: both P-256, the same point.
fn same_key(public: &Public, key: &PublicKey) -> bool {
    let KeyParams::Ecc { curve, x, y, .. } = public.params() else {
        return false;
    };
    if *curve != TPM_ECC_NIST_P256 || key.algorithm() != Algorithm::Es256 {
        return false;
    }
    // Coordinates are compared as integers: a TPM may marshal them without
    // leading zeros.
    let (Some(x), Some(y)) = (be32(x), be32(y)) else {
        return false;
    };
    let point = key.point();
    point.first() == Some(&0x04) && point.get(1..33) == Some(&x) && point.get(33..65) == Some(&y)
}
