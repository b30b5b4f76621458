//! TPM2_MakeCredential in pure Rust: the challenge that proves an
//! attestation key lives in the TPM whose endorsement key (EK) a
//! manufacturer certified.
//!
//! The enroller encrypts a secret to the EK (from its certificate) and
//! binds it to the AK's Name. Only that TPM can decrypt it, and its
//! TPM2_ActivateCredential releases the secret only when the AK with that
//! Name is loaded in the same TPM, so a machine that answers with the
//! secret has shown both. This is the protocol of go-attestation and
//! keylime (TPM 2.0 Part 1, §24 "Credential Protection").
//!
//! Only the TCG's default RSA 2048 EK template is supported (nameAlg
//! SHA-256, AES-128-CFB, the "low range" EK whose certificate sits at NV
//! index 0x01c00002): it is what every TPM ships with a certificate for,
//! and what `swtpm_setup --create-ek-cert` makes. A TPM whose EK is another
//! key cannot answer, so an unsupported EK fails closed.

use aes::cipher::KeyIvInit as _;
use der::Decode as _;
use hmac::{KeyInit as _, Mac as _};
use rsa::traits::{PublicKeyParts as _, RandomizedEncryptor as _};
use spki::DecodePublicKey as _;

use super::TpmError;

/// The bytes of a credential a challenge may carry: at most the EK's
/// nameAlg digest size (SHA-256), as TPM2_MakeCredential requires.
pub const MAX_CREDENTIAL_LEN: usize = 32;

/// The OAEP label of the seed (TPM 2.0 Part 1, §24.4: "IDENTITY" with its
/// terminating zero).
const IDENTITY_LABEL: &[u8] = b"IDENTITY\0";

type Aes128Cfb = cfb_mode::Encryptor<aes::Aes128>;
type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// An endorsement key's public half, taken from its EK certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndorsementKey {
    key: rsa::PublicKey,
}

impl EndorsementKey {
    /// The EK in a DER EK certificate: an RSA 2048 key (the TCG default
    /// EK). The certificate's chain is not checked here: that is the
    /// enroller's job, with [`crate::x509::verify_chain`].
    pub fn from_certificate(der: &[u8]) -> Result<Self, TpmError> {
        if der.len() > crate::x509::MAX_CERTIFICATE_LEN {
            return Err(TpmError::TooLarge {
                what: "EK certificate",
                len: der.len(),
                max: crate::x509::MAX_CERTIFICATE_LEN,
            });
        }
        let cert = x509_cert::Certificate::from_der(der).map_err(|_| TpmError::Malformed {
            what: "EK certificate",
            why: "not a DER X.509 certificate",
        })?;
        let spki = cert.tbs_certificate().subject_public_key_info();
        let spki_der = der::Encode::to_der(spki).map_err(|_| TpmError::Malformed {
            what: "EK certificate",
            why: "subjectPublicKeyInfo",
        })?;
        let key = rsa::PublicKey::from_public_key_der(&spki_der).map_err(|_| {
            TpmError::UnsupportedAlgorithm(
                "an EK that is not an RSA key (only the RSA 2048 EK is supported)".into(),
            )
        })?;
        if key.size() != 256 {
            return Err(TpmError::UnsupportedAlgorithm(format!(
                "an RSA {}-bit EK (only the RSA 2048 EK is supported)",
                key.size() * 8
            )));
        }
        Ok(EndorsementKey { key })
    }
}

/// What TPM2_MakeCredential outputs, for TPM2_ActivateCredential: the
/// contents (no size prefix) of the `TPM2B_ID_OBJECT` and the
/// `TPM2B_ENCRYPTED_SECRET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialChallenge {
    /// The credential blob: `TPM2B_DIGEST(outer HMAC) || encIdentity`.
    pub id_object: Vec<u8>,
    /// The seed, RSA-OAEP-encrypted to the EK.
    pub encrypted_secret: Vec<u8>,
}

/// KDFa of TPM 2.0 Part 1, §11.4.10.2 (SP 800-108 counter mode, HMAC-SHA-256):
/// `bits` bits (a multiple of 8) from `key`, a zero-terminated `label` and
/// the two contexts.
fn kdfa(key: &[u8], label: &[u8], context_u: &[u8], context_v: &[u8], bits: u32) -> Vec<u8> {
    let len = usize::try_from(bits / 8).unwrap_or(0);
    let mut out = Vec::with_capacity(len + 32);
    let mut counter: u32 = 1;
    while out.len() < len {
        // An HMAC takes a key of any length, so this cannot fail.
        let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
            return Vec::new();
        };
        mac.update(&counter.to_be_bytes());
        mac.update(label);
        mac.update(&[0]);
        mac.update(context_u);
        mac.update(context_v);
        mac.update(&bits.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// Makes the challenge for the AK whose Name is `ak_name` (nameAlg ||
/// digest, as [`super::name`] computes it) in the TPM holding `ek`:
/// `credential` (1 to [`MAX_CREDENTIAL_LEN`] bytes, normally random) comes
/// back out of TPM2_ActivateCredential only there. The seed and the OAEP
/// padding are drawn from the operating system's random source.
pub fn make_credential(
    ek: &EndorsementKey,
    ak_name: &[u8],
    credential: &[u8],
) -> Result<CredentialChallenge, TpmError> {
    if credential.len() > MAX_CREDENTIAL_LEN {
        return Err(TpmError::TooLarge {
            what: "credential",
            len: credential.len(),
            max: MAX_CREDENTIAL_LEN,
        });
    }
    if credential.is_empty() {
        return Err(TpmError::Malformed {
            what: "credential",
            why: "must be 1 to 32 bytes",
        });
    }
    // The AK's Name must use a hash the TPM computes names with; the EK's
    // nameAlg (SHA-256) is what protects the blob, whatever the AK uses.
    match ak_name {
        [hi, lo, digest @ ..]
            if super::structures::hash(u16::from_be_bytes([*hi, *lo]), b"")
                .is_some_and(|d| d.len() == digest.len()) => {}
        _ => {
            return Err(TpmError::Malformed {
                what: "AK name",
                why: "not nameAlg || digest",
            });
        }
    }
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|_| TpmError::Random)?;
    let seed = seed.as_slice();
    let sym_key = kdfa(seed, b"STORAGE", ak_name, b"", 128);
    let hmac_key = kdfa(seed, b"INTEGRITY", b"", b"", 256);

    // encIdentity: the credential as a TPM2B_DIGEST, AES-128-CFB, zero IV.
    let mut enc_identity = Vec::with_capacity(2 + credential.len());
    enc_identity.extend_from_slice(&(credential.len() as u16).to_be_bytes());
    enc_identity.extend_from_slice(credential);
    let cipher =
        Aes128Cfb::new_from_slices(&sym_key, &[0u8; 16]).map_err(|_| TpmError::Malformed {
            what: "credential",
            why: "symmetric key",
        })?;
    cipher.encrypt(&mut enc_identity);

    let mut mac = HmacSha256::new_from_slice(&hmac_key).map_err(|_| TpmError::Malformed {
        what: "credential",
        why: "HMAC key",
    })?;
    mac.update(&enc_identity);
    mac.update(ak_name);
    let outer_hmac = mac.finalize().into_bytes();

    let mut id_object = Vec::with_capacity(2 + outer_hmac.len() + enc_identity.len());
    id_object.extend_from_slice(&(outer_hmac.len() as u16).to_be_bytes());
    id_object.extend_from_slice(&outer_hmac);
    id_object.extend_from_slice(&enc_identity);

    let oaep =
        rsa::oaep::EncryptingKey::<sha2::Sha256>::new_with_label(ek.key.clone(), IDENTITY_LABEL);
    let encrypted_secret = oaep
        .encrypt_with_rng(&mut getrandom::SysRng, seed)
        .map_err(|_| TpmError::Random)?;
    Ok(CredentialChallenge {
        id_object,
        encrypted_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdfa_is_counter_mode_hmac_sha256() {
        // One block: HMAC(key, 1 || "STORAGE\0" || u || v || 128) cut to 16.
        let mut mac = HmacSha256::new_from_slice(b"k").unwrap();
        mac.update(&[0, 0, 0, 1]);
        mac.update(b"STORAGE\0");
        mac.update(b"name");
        mac.update(&[0, 0, 0, 128]);
        let want = mac.finalize().into_bytes();
        assert_eq!(kdfa(b"k", b"STORAGE", b"name", b"", 128), want[..16]);
        // Two blocks for 512 bits, the second with counter 2.
        let long = kdfa(b"k", b"INTEGRITY", b"", b"", 512);
        assert_eq!(long.len(), 64);
        assert_ne!(long[..32], long[32..]);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
        let ek = EndorsementKey {
            key: key.to_public_key(),
        };
        let name = [&[0x00, 0x0b][..], &[7; 32]].concat();
        assert!(make_credential(&ek, &name, &[]).is_err());
        // MAX_CREDENTIAL_LEN: 32 bytes are a credential (below), 33 are not.
        assert_eq!(
            make_credential(&ek, &name, &[1; MAX_CREDENTIAL_LEN + 1]),
            Err(TpmError::TooLarge {
                what: "credential",
                len: MAX_CREDENTIAL_LEN + 1,
                max: MAX_CREDENTIAL_LEN
            })
        );
        assert!(make_credential(&ek, &name[..10], &[1; 32]).is_err());
        let c = make_credential(&ek, &name, &[1; MAX_CREDENTIAL_LEN]).unwrap();
        assert_eq!(c.id_object.len(), 2 + 32 + 2 + 32);
        assert_eq!(c.encrypted_secret.len(), 256);
        // The seed comes back with the EK's private key and the label.
        let seed = key
            .decrypt(
                rsa::Oaep::<sha2::Sha256>::new_with_label(IDENTITY_LABEL),
                &c.encrypted_secret,
            )
            .unwrap();
        assert_eq!(seed.len(), 32);
        assert!(EndorsementKey::from_certificate(b"not a certificate").is_err());
    }
}
