//! TPM2_Certify attestations made in tests, without a TPM: the marshaled
//! structures a TPM would return when its ECDSA P-256 attestation key (AK)
//! certifies a P-256 signing key (TPM 2.0 Part 2: TPMT_PUBLIC, TPMS_ATTEST,
//! TPMT_SIGNATURE). For chain scenarios that need a TPM-attested key; the
//! TPM backend's own tests use a real simulator.

use p256::ecdsa::SigningKey;
use sha2::{Digest as _, Sha256};

const ALG_ECC: u16 = 0x0023;
const ALG_SHA256: u16 = 0x000b;
const ALG_NULL: u16 = 0x0010;
const ALG_ECDSA: u16 = 0x0018;
const ECC_NIST_P256: u16 = 0x0003;
const GENERATED: u32 = 0xff54_4347;
const ST_ATTEST_CERTIFY: u16 = 0x8017;

/// TPMA_OBJECT bits.
const FIXED_TPM: u32 = 0x0000_0002;
const FIXED_PARENT: u32 = 0x0000_0010;
const SENSITIVE_DATA_ORIGIN: u32 = 0x0000_0020;
const USER_WITH_AUTH: u32 = 0x0000_0040;
const RESTRICTED: u32 = 0x0001_0000;
const SIGN: u32 = 0x0004_0000;

/// The attributes of a vouch TPM signing key.
pub const KEY_ATTRIBUTES: u32 =
    FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | USER_WITH_AUTH | SIGN;
/// The attributes of an attestation key.
pub const AK_ATTRIBUTES: u32 = KEY_ATTRIBUTES | RESTRICTED;

/// The four parts of a TPM2_Certify, as `vouch_core::tpm::KeyAttestation::new` takes them.
#[derive(Clone, Debug)]
pub struct Certify {
    /// The marshaled TPMS_ATTEST the AK signed.
    pub attest: Vec<u8>,
    /// The marshaled TPMT_SIGNATURE (ECDSA, SHA-256).
    pub signature: Vec<u8>,
    /// The AK's marshaled TPMT_PUBLIC.
    pub ak_public: Vec<u8>,
    /// The certified key's marshaled TPMT_PUBLIC.
    pub key_public: Vec<u8>,
}

fn tpm2b(out: &mut Vec<u8>, b: &[u8]) {
    let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b);
}

/// The TPMT_PUBLIC of an ECC NIST P-256 ECDSA/SHA-256 key (nameAlg
/// SHA-256) with `attributes`, its point given in SEC1 uncompressed form.
pub fn ecc_public(attributes: u32, sec1: &[u8]) -> Vec<u8> {
    let (x, y) = match sec1 {
        [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
        _ => (&[][..], &[][..]),
    };
    let mut p = Vec::new();
    p.extend_from_slice(&ALG_ECC.to_be_bytes());
    p.extend_from_slice(&ALG_SHA256.to_be_bytes());
    p.extend_from_slice(&attributes.to_be_bytes());
    tpm2b(&mut p, &[]); // authPolicy
    p.extend_from_slice(&ALG_NULL.to_be_bytes()); // symmetric
    p.extend_from_slice(&ALG_ECDSA.to_be_bytes());
    p.extend_from_slice(&ALG_SHA256.to_be_bytes());
    p.extend_from_slice(&ECC_NIST_P256.to_be_bytes());
    p.extend_from_slice(&ALG_NULL.to_be_bytes()); // kdf
    tpm2b(&mut p, x);
    tpm2b(&mut p, y);
    p
}

/// The TPM name of a public area: nameAlg (SHA-256) || SHA-256(area).
pub fn name(public: &[u8]) -> Vec<u8> {
    let mut n = ALG_SHA256.to_be_bytes().to_vec();
    n.extend_from_slice(&Sha256::digest(public));
    n
}

/// The AK public area of `ak`.
pub fn ak_public(ak: &SigningKey) -> Vec<u8> {
    ecc_public(
        AK_ATTRIBUTES,
        ak.verifying_key().to_sec1_point(false).as_bytes(),
    )
}

/// A TPM2_Certify by `ak` of the P-256 key whose SEC1 point is `key_sec1`
/// (with [`KEY_ATTRIBUTES`]), qualifying data `extra_data` (vouch's
/// binding of the key).
pub fn certify(ak: &SigningKey, key_sec1: &[u8], extra_data: &[u8]) -> Certify {
    use p256::ecdsa::signature::Signer as _;
    let key_public = ecc_public(KEY_ATTRIBUTES, key_sec1);
    let key_name = name(&key_public);
    let ak_public = ak_public(ak);
    let mut attest = GENERATED.to_be_bytes().to_vec();
    attest.extend_from_slice(&ST_ATTEST_CERTIFY.to_be_bytes());
    tpm2b(&mut attest, &name(&ak_public)); // qualifiedSigner
    tpm2b(&mut attest, extra_data);
    attest.extend_from_slice(&1_000u64.to_be_bytes()); // clock
    attest.extend_from_slice(&1u32.to_be_bytes()); // resetCount
    attest.extend_from_slice(&0u32.to_be_bytes()); // restartCount
    attest.push(1); // safe
    attest.extend_from_slice(&0x2023_0101u64.to_be_bytes()); // firmwareVersion
    tpm2b(&mut attest, &key_name);
    tpm2b(&mut attest, &key_name); // qualifiedName
    let sig: p256::ecdsa::Signature = ak.sign(&attest);
    let (r, s) = sig.split_bytes();
    let mut signature = ALG_ECDSA.to_be_bytes().to_vec();
    signature.extend_from_slice(&ALG_SHA256.to_be_bytes());
    tpm2b(&mut signature, &r);
    tpm2b(&mut signature, &s);
    Certify {
        attest,
        signature,
        ak_public,
        key_public,
    }
}
