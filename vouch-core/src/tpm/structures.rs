//! TPM 2.0 wire structures (TCG TPM 2.0 Library, Part 2 "Structures"), the
//! few a key attestation carries, parsed from their big-endian marshaling.
//!
//! ```text
//! TPMT_PUBLIC    = type u16 | nameAlg u16 | objectAttributes u32 | authPolicy TPM2B
//!                | parameters (by type) | unique (by type)                      §12.2.4
//! TPMS_ATTEST    = magic u32 | type u16 | qualifiedSigner TPM2B | extraData TPM2B
//!                | clockInfo (clock u64, resetCount u32, restartCount u32, safe u8)
//!                | firmwareVersion u64 | attested (by type)                     §10.12.12
//! TPMT_SIGNATURE = sigAlg u16 | hash u16 | RSA: sig TPM2B | ECC: r TPM2B, s TPM2B §11.3.4
//! TPM2B          = size u16 | size bytes                                        §10.4
//! Name           = nameAlg u16 || H_nameAlg(TPMT_PUBLIC)                         Part 1 §16
//! ```
//!
//! Parsers refuse truncation and trailing bytes; they read claims, they do
//! not judge them: a wrong magic or an attestation of another type parses,
//! and [`KeyAttestation::verify`](super::KeyAttestation::verify) refuses it
//! by name. Inputs are bounded by [`MAX_STRUCTURE_LEN`](super::MAX_STRUCTURE_LEN)
//! before any parsing.

use std::fmt;

use sha2::Digest as _;

use super::{MAX_STRUCTURE_LEN, TpmError};
use crate::wire::Reader;

/// TPM_GENERATED_VALUE: the magic a TPM puts only in structures it made itself.
pub const TPM_GENERATED_VALUE: u32 = 0xff54_4347;

/// TPM_ALG_ID values (TCG Algorithm Registry) that these structures use.
pub mod alg {
    /// TPM_ALG_RSA.
    pub const RSA: u16 = 0x0001;
    /// TPM_ALG_SHA1.
    pub const SHA1: u16 = 0x0004;
    /// TPM_ALG_HMAC.
    pub const HMAC: u16 = 0x0005;
    /// TPM_ALG_AES.
    pub const AES: u16 = 0x0006;
    /// TPM_ALG_KEYEDHASH.
    pub const KEYEDHASH: u16 = 0x0008;
    /// TPM_ALG_SHA256.
    pub const SHA256: u16 = 0x000b;
    /// TPM_ALG_SHA384.
    pub const SHA384: u16 = 0x000c;
    /// TPM_ALG_SHA512.
    pub const SHA512: u16 = 0x000d;
    /// TPM_ALG_NULL.
    pub const NULL: u16 = 0x0010;
    /// TPM_ALG_RSASSA (RSASSA-PKCS1-v1_5).
    pub const RSASSA: u16 = 0x0014;
    /// TPM_ALG_RSAES.
    pub const RSAES: u16 = 0x0015;
    /// TPM_ALG_RSAPSS.
    pub const RSAPSS: u16 = 0x0016;
    /// TPM_ALG_OAEP.
    pub const OAEP: u16 = 0x0017;
    /// TPM_ALG_ECDSA.
    pub const ECDSA: u16 = 0x0018;
    /// TPM_ALG_ECDH.
    pub const ECDH: u16 = 0x0019;
    /// TPM_ALG_ECDAA.
    pub const ECDAA: u16 = 0x001a;
    /// TPM_ALG_SM2.
    pub const SM2: u16 = 0x001b;
    /// TPM_ALG_ECSCHNORR.
    pub const ECSCHNORR: u16 = 0x001c;
    /// TPM_ALG_ECC.
    pub const ECC: u16 = 0x0023;
    /// TPM_ALG_SYMCIPHER.
    pub const SYMCIPHER: u16 = 0x0025;
    /// TPM_ALG_CFB.
    pub const CFB: u16 = 0x0043;
}

/// TPM_ECC_NIST_P256, the curve vouch's TPM keys use.
pub const TPM_ECC_NIST_P256: u16 = 0x0003;

/// The registry name of an algorithm (`TPM_ALG_SHA1`), or its number.
pub fn alg_name(id: u16) -> String {
    let name = match id {
        alg::RSA => "TPM_ALG_RSA",
        alg::SHA1 => "TPM_ALG_SHA1",
        alg::HMAC => "TPM_ALG_HMAC",
        alg::AES => "TPM_ALG_AES",
        alg::KEYEDHASH => "TPM_ALG_KEYEDHASH",
        alg::SHA256 => "TPM_ALG_SHA256",
        alg::SHA384 => "TPM_ALG_SHA384",
        alg::SHA512 => "TPM_ALG_SHA512",
        alg::NULL => "TPM_ALG_NULL",
        alg::RSASSA => "TPM_ALG_RSASSA",
        alg::RSAES => "TPM_ALG_RSAES",
        alg::RSAPSS => "TPM_ALG_RSAPSS",
        alg::OAEP => "TPM_ALG_OAEP",
        alg::ECDSA => "TPM_ALG_ECDSA",
        alg::ECDH => "TPM_ALG_ECDH",
        alg::ECDAA => "TPM_ALG_ECDAA",
        alg::SM2 => "TPM_ALG_SM2",
        alg::ECSCHNORR => "TPM_ALG_ECSCHNORR",
        alg::ECC => "TPM_ALG_ECC",
        alg::SYMCIPHER => "TPM_ALG_SYMCIPHER",
        alg::CFB => "TPM_ALG_CFB",
        other => return format!("TPM_ALG_ID {other:#06x}"),
    };
    name.to_owned()
}

/// TPM_ST values of TPMS_ATTEST.type (Part 2 §6.9).
pub mod st {
    /// TPM_ST_ATTEST_NV (TPM2_NV_Certify).
    pub const ATTEST_NV: u16 = 0x8014;
    /// TPM_ST_ATTEST_COMMAND_AUDIT.
    pub const ATTEST_COMMAND_AUDIT: u16 = 0x8015;
    /// TPM_ST_ATTEST_SESSION_AUDIT.
    pub const ATTEST_SESSION_AUDIT: u16 = 0x8016;
    /// TPM_ST_ATTEST_CERTIFY (TPM2_Certify), the one key attestation uses.
    pub const ATTEST_CERTIFY: u16 = 0x8017;
    /// TPM_ST_ATTEST_QUOTE (TPM2_Quote).
    pub const ATTEST_QUOTE: u16 = 0x8018;
    /// TPM_ST_ATTEST_TIME (TPM2_GetTime).
    pub const ATTEST_TIME: u16 = 0x8019;
    /// TPM_ST_ATTEST_CREATION (TPM2_CertifyCreation).
    pub const ATTEST_CREATION: u16 = 0x801a;
    /// TPM_ST_ATTEST_NV_DIGEST.
    pub const ATTEST_NV_DIGEST: u16 = 0x801c;
}

/// The name of an attestation type (`quote`, `creation`, ...), for errors.
pub fn attest_type_name(ty: u16) -> &'static str {
    match ty {
        st::ATTEST_NV => "NV certify",
        st::ATTEST_COMMAND_AUDIT => "command audit",
        st::ATTEST_SESSION_AUDIT => "session audit",
        st::ATTEST_CERTIFY => "certify",
        st::ATTEST_QUOTE => "quote",
        st::ATTEST_TIME => "time",
        st::ATTEST_CREATION => "creation",
        st::ATTEST_NV_DIGEST => "NV digest",
        _ => "not an attestation type",
    }
}

/// TPMA_OBJECT (Part 2 §8.3): what an object may do and where it may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ObjectAttributes(u32);

impl ObjectAttributes {
    /// The key cannot leave this TPM (no duplication, even with its parent).
    pub const FIXED_TPM: Self = ObjectAttributes(1 << 1);
    /// Saved contexts of the object are lost at TPM Reset and Restart.
    pub const ST_CLEAR: Self = ObjectAttributes(1 << 2);
    /// The key cannot be moved to another parent.
    pub const FIXED_PARENT: Self = ObjectAttributes(1 << 4);
    /// The TPM generated the private key itself: nobody outside saw it.
    pub const SENSITIVE_DATA_ORIGIN: Self = ObjectAttributes(1 << 5);
    /// The user role may authorize with the object's auth value.
    pub const USER_WITH_AUTH: Self = ObjectAttributes(1 << 6);
    /// The admin role needs a policy session.
    pub const ADMIN_WITH_POLICY: Self = ObjectAttributes(1 << 7);
    /// Not subject to dictionary-attack lockout.
    pub const NO_DA: Self = ObjectAttributes(1 << 10);
    /// Duplication must encrypt the inner wrapper.
    pub const ENCRYPTED_DUPLICATION: Self = ObjectAttributes(1 << 11);
    /// Signs only what the TPM itself produced (an attestation key), or
    /// decrypts only in the TPM's formats (a storage key).
    pub const RESTRICTED: Self = ObjectAttributes(1 << 16);
    /// May decrypt.
    pub const DECRYPT: Self = ObjectAttributes(1 << 17);
    /// May sign.
    pub const SIGN: Self = ObjectAttributes(1 << 18);
    /// May sign X.509 certificates (TPM2_CertifyX509).
    pub const X509_SIGN: Self = ObjectAttributes(1 << 19);

    const NAMES: [(Self, &'static str); 12] = [
        (Self::FIXED_TPM, "fixedTPM"),
        (Self::ST_CLEAR, "stClear"),
        (Self::FIXED_PARENT, "fixedParent"),
        (Self::SENSITIVE_DATA_ORIGIN, "sensitiveDataOrigin"),
        (Self::USER_WITH_AUTH, "userWithAuth"),
        (Self::ADMIN_WITH_POLICY, "adminWithPolicy"),
        (Self::NO_DA, "noDA"),
        (Self::ENCRYPTED_DUPLICATION, "encryptedDuplication"),
        (Self::RESTRICTED, "restricted"),
        (Self::DECRYPT, "decrypt"),
        (Self::SIGN, "sign"),
        (Self::X509_SIGN, "x509sign"),
    ];

    /// The attributes from their 32 bits.
    pub const fn from_bits(bits: u32) -> Self {
        ObjectAttributes(bits)
    }

    /// The 32 bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Both sets together.
    pub const fn union(self, other: Self) -> Self {
        ObjectAttributes(self.0 | other.0)
    }

    /// Whether every attribute of `other` is set here.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The attributes of `self` that `other` lacks.
    pub const fn difference(self, other: Self) -> Self {
        ObjectAttributes(self.0 & !other.0)
    }

    /// The attributes set in both.
    pub const fn intersection(self, other: Self) -> Self {
        ObjectAttributes(self.0 & other.0)
    }

    /// Whether no attribute is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for ObjectAttributes {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl fmt::Display for ObjectAttributes {
    /// The TPM spec's names joined by `|` (`fixedTPM|sign`), reserved bits
    /// as hex, `none` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut rest = self.0;
        let mut first = true;
        for (a, name) in Self::NAMES {
            if self.contains(a) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
                rest &= !a.0;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{rest:#010x}")?;
        }
        Ok(())
    }
}

/// A signing or key-derivation scheme: its algorithm and, unless the
/// algorithm is `TPM_ALG_NULL` (or RSAES, which has none), its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheme {
    /// The scheme's algorithm (`TPM_ALG_RSASSA`, `TPM_ALG_ECDSA`, `TPM_ALG_NULL`...).
    pub alg: u16,
    /// The hash it is used with.
    pub hash: Option<u16>,
}

/// The type-specific parameters and unique field of a TPMT_PUBLIC.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyParams {
    /// TPMS_RSA_PARMS and TPM2B_PUBLIC_KEY_RSA.
    Rsa {
        /// The modulus size in bits, as the area claims it.
        key_bits: u16,
        /// The public exponent; 0 stands for 65537.
        exponent: u32,
        /// The modulus, big-endian.
        modulus: Vec<u8>,
    },
    /// TPMS_ECC_PARMS and TPMS_ECC_POINT.
    Ecc {
        /// TPM_ECC_CURVE (`TPM_ECC_NIST_P256` is 0x0003).
        curve: u16,
        /// The key-derivation scheme.
        kdf: Scheme,
        /// The point's x coordinate, big-endian.
        x: Vec<u8>,
        /// The point's y coordinate, big-endian.
        y: Vec<u8>,
    },
}

/// A parsed TPMT_PUBLIC: the public area of a TPM object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Public {
    name_alg: u16,
    attributes: ObjectAttributes,
    auth_policy: Vec<u8>,
    symmetric: u16,
    scheme: Scheme,
    params: KeyParams,
}

const PUBLIC: &str = "TPMT_PUBLIC";
const ATTEST: &str = "TPMS_ATTEST";
const SIGNATURE: &str = "TPMT_SIGNATURE";

fn bounded(what: &'static str, b: &[u8]) -> Result<(), TpmError> {
    if b.len() > MAX_STRUCTURE_LEN {
        return Err(TpmError::TooLarge {
            what,
            len: b.len(),
            max: MAX_STRUCTURE_LEN,
        });
    }
    Ok(())
}

/// A reader that names the structure it reads in its errors.
struct Fields<'a> {
    r: Reader<'a>,
    what: &'static str,
}

impl<'a> Fields<'a> {
    fn new(what: &'static str, b: &'a [u8]) -> Self {
        Fields {
            r: Reader::new(b),
            what,
        }
    }

    fn truncated(&self) -> TpmError {
        TpmError::Malformed {
            what: self.what,
            why: "truncated",
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], TpmError> {
        self.r.take(n).ok_or_else(|| self.truncated())
    }

    fn u8(&mut self) -> Result<u8, TpmError> {
        self.r.byte().ok_or_else(|| self.truncated())
    }

    fn u16(&mut self) -> Result<u16, TpmError> {
        let b = self.bytes(2)?;
        Ok(b.iter().fold(0, |a, &x| (a << 8) | u16::from(x)))
    }

    fn u32(&mut self) -> Result<u32, TpmError> {
        self.r.u32().ok_or_else(|| self.truncated())
    }

    fn u64(&mut self) -> Result<u64, TpmError> {
        let b = self.bytes(8)?;
        Ok(b.iter().fold(0, |a, &x| (a << 8) | u64::from(x)))
    }

    fn tpm2b(&mut self) -> Result<Vec<u8>, TpmError> {
        let n = self.u16()?;
        Ok(self.bytes(usize::from(n))?.to_vec())
    }

    fn end(&self) -> Result<(), TpmError> {
        if self.r.is_empty() {
            Ok(())
        } else {
            Err(TpmError::Malformed {
                what: self.what,
                why: "trailing bytes",
            })
        }
    }

    /// A TPMT_*_SCHEME: the algorithm, then its hash unless it is NULL
    /// (or RSAES, whose details are empty), then ECDAA's counter.
    fn scheme(&mut self) -> Result<Scheme, TpmError> {
        let alg = self.u16()?;
        let hash = match alg {
            alg::NULL | alg::RSAES => None,
            _ => Some(self.u16()?),
        };
        if alg == alg::ECDAA {
            self.u16()?;
        }
        Ok(Scheme { alg, hash })
    }
}

/// The digest of `bytes` with a TPM hash algorithm, if it is one vouch has.
pub(crate) fn hash(alg: u16, bytes: &[u8]) -> Option<Vec<u8>> {
    Some(match alg {
        alg::SHA1 => sha1::Sha1::digest(bytes).to_vec(),
        alg::SHA256 => sha2::Sha256::digest(bytes).to_vec(),
        alg::SHA384 => sha2::Sha384::digest(bytes).to_vec(),
        alg::SHA512 => sha2::Sha512::digest(bytes).to_vec(),
        _ => return None,
    })
}

impl Public {
    /// Parses one marshaled TPMT_PUBLIC (no TPM2B_PUBLIC size prefix), of
    /// type RSA or ECC, with a nameAlg of SHA-1, SHA-256, SHA-384 or SHA-512.
    pub fn parse(b: &[u8]) -> Result<Self, TpmError> {
        bounded(PUBLIC, b)?;
        let mut f = Fields::new(PUBLIC, b);
        let kind = f.u16()?;
        let name_alg = f.u16()?;
        if hash(name_alg, b"").is_none() {
            return Err(TpmError::UnsupportedAlgorithm(format!(
                "{} as nameAlg",
                alg_name(name_alg)
            )));
        }
        let attributes = ObjectAttributes(f.u32()?);
        let auth_policy = f.tpm2b()?;
        // TPMT_SYM_DEF_OBJECT: keyBits and mode follow a non-NULL algorithm.
        let symmetric = f.u16()?;
        if symmetric != alg::NULL {
            f.bytes(4)?;
        }
        let scheme = f.scheme()?;
        let params = match kind {
            alg::RSA => {
                let key_bits = f.u16()?;
                let exponent = f.u32()?;
                let modulus = f.tpm2b()?;
                KeyParams::Rsa {
                    key_bits,
                    exponent,
                    modulus,
                }
            }
            alg::ECC => {
                let curve = f.u16()?;
                let kdf = f.scheme()?;
                let x = f.tpm2b()?;
                let y = f.tpm2b()?;
                KeyParams::Ecc { curve, kdf, x, y }
            }
            other => {
                return Err(TpmError::UnsupportedAlgorithm(format!(
                    "{} as an object type",
                    alg_name(other)
                )));
            }
        };
        f.end()?;
        Ok(Public {
            name_alg,
            attributes,
            auth_policy,
            symmetric,
            scheme,
            params,
        })
    }

    /// The object's type: `TPM_ALG_RSA` or `TPM_ALG_ECC`.
    pub fn object_type(&self) -> u16 {
        match self.params {
            KeyParams::Rsa { .. } => alg::RSA,
            KeyParams::Ecc { .. } => alg::ECC,
        }
    }

    /// The hash algorithm of the object's name.
    pub fn name_alg(&self) -> u16 {
        self.name_alg
    }

    /// objectAttributes.
    pub fn attributes(&self) -> ObjectAttributes {
        self.attributes
    }

    /// authPolicy: the policy digest that authorizes use (empty for none).
    pub fn auth_policy(&self) -> &[u8] {
        &self.auth_policy
    }

    /// The symmetric algorithm of a storage key (`TPM_ALG_NULL` for a signing key).
    pub fn symmetric(&self) -> u16 {
        self.symmetric
    }

    /// The signing scheme the key is fixed to (`TPM_ALG_NULL`: any).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The type-specific parameters and the public key.
    pub fn params(&self) -> &KeyParams {
        &self.params
    }
}

/// The TPM Name of a public area: nameAlg || H_nameAlg(bytes), with
/// `public` exactly as marshaled (the name covers every byte).
pub fn name(public: &[u8]) -> Result<Vec<u8>, TpmError> {
    let parsed = Public::parse(public)?;
    name_with(parsed.name_alg, public).ok_or(TpmError::Malformed {
        what: PUBLIC,
        why: "nameAlg",
    })
}

/// nameAlg || H(bytes), when vouch has that hash.
pub(crate) fn name_with(name_alg: u16, public: &[u8]) -> Option<Vec<u8>> {
    let mut n = name_alg.to_be_bytes().to_vec();
    n.extend_from_slice(&hash(name_alg, public)?);
    Some(n)
}

/// TPMS_CLOCK_INFO: the TPM's clock when it signed, as it claims it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ClockInfo {
    /// Milliseconds the TPM has been powered since its clock was last set.
    pub clock: u64,
    /// TPM Resets (power cycles) so far.
    pub reset_count: u32,
    /// TPM Restarts and Resumes since the last Reset.
    pub restart_count: u32,
    /// Whether the clock never went backwards since it was last set.
    pub safe: bool,
}

/// One TPMS_PCR_SELECTION of a quote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcrSelection {
    /// The PCR bank's hash.
    pub hash: u16,
    /// The PCR bitmap, PCR 0 in bit 0 of the first byte.
    pub select: Vec<u8>,
}

/// TPMU_ATTEST: what the attestation says, by its type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attested {
    /// TPMS_CERTIFY_INFO (TPM2_Certify).
    Certify {
        /// The certified object's Name.
        name: Vec<u8>,
        /// Its Qualified Name (its parents' names folded in).
        qualified_name: Vec<u8>,
    },
    /// TPMS_QUOTE_INFO (TPM2_Quote).
    Quote {
        /// The PCRs quoted.
        pcr_select: Vec<PcrSelection>,
        /// The digest of their values.
        pcr_digest: Vec<u8>,
    },
    /// TPMS_CREATION_INFO (TPM2_CertifyCreation).
    Creation {
        /// The created object's Name.
        object_name: Vec<u8>,
        /// The digest of its TPMS_CREATION_DATA.
        creation_hash: Vec<u8>,
    },
    /// Any other type, its bytes unparsed.
    Other(Vec<u8>),
}

/// A parsed TPMS_ATTEST: what a TPM signs in TPM2_Certify, Quote, and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attest {
    magic: u32,
    attest_type: u16,
    qualified_signer: Vec<u8>,
    extra_data: Vec<u8>,
    clock_info: ClockInfo,
    firmware_version: u64,
    attested: Attested,
}

/// The most PCR banks (TPML_PCR_SELECTION entries) a TPMS_QUOTE_INFO may
/// select: TPMs have at most a few (HASH_COUNT); more is not a TPM.
pub const MAX_PCR_BANKS: u32 = 16;

impl Attest {
    /// Parses one marshaled TPMS_ATTEST. Any magic and any type parse:
    /// judging them is the verifier's.
    pub fn parse(b: &[u8]) -> Result<Self, TpmError> {
        bounded(ATTEST, b)?;
        let mut f = Fields::new(ATTEST, b);
        let magic = f.u32()?;
        let attest_type = f.u16()?;
        let qualified_signer = f.tpm2b()?;
        let extra_data = f.tpm2b()?;
        let clock = f.u64()?;
        let reset_count = f.u32()?;
        let restart_count = f.u32()?;
        // A TPM writes 0 or 1; synthetic samples (the W3C vector) fill
        // clockInfo with arbitrary bytes. It is a reported claim, so any
        // non-zero byte reads as YES rather than refusing the structure.
        let safe = f.u8()? != 0;
        let firmware_version = f.u64()?;
        let attested = match attest_type {
            st::ATTEST_CERTIFY => Attested::Certify {
                name: f.tpm2b()?,
                qualified_name: f.tpm2b()?,
            },
            st::ATTEST_QUOTE => {
                let count = f.u32()?;
                if count > MAX_PCR_BANKS {
                    return Err(TpmError::TooMany {
                        what: "PCR banks of a TPMS_QUOTE_INFO",
                        count: u64::from(count),
                        max: u64::from(MAX_PCR_BANKS),
                    });
                }
                let mut pcr_select = Vec::new();
                for _ in 0..count {
                    let hash = f.u16()?;
                    let n = f.u8()?;
                    pcr_select.push(PcrSelection {
                        hash,
                        select: f.bytes(usize::from(n))?.to_vec(),
                    });
                }
                Attested::Quote {
                    pcr_select,
                    pcr_digest: f.tpm2b()?,
                }
            }
            st::ATTEST_CREATION => Attested::Creation {
                object_name: f.tpm2b()?,
                creation_hash: f.tpm2b()?,
            },
            _ => Attested::Other(f.bytes(f.r.remaining())?.to_vec()),
        };
        f.end()?;
        Ok(Attest {
            magic,
            attest_type,
            qualified_signer,
            extra_data,
            clock_info: ClockInfo {
                clock,
                reset_count,
                restart_count,
                safe,
            },
            firmware_version,
            attested,
        })
    }

    /// magic: [`TPM_GENERATED_VALUE`] when the TPM made the structure.
    pub fn magic(&self) -> u32 {
        self.magic
    }

    /// type: a TPM_ST_ATTEST_* value (see [`st`]).
    pub fn attest_type(&self) -> u16 {
        self.attest_type
    }

    /// qualifiedSigner: the Qualified Name of the signing key.
    pub fn qualified_signer(&self) -> &[u8] {
        &self.qualified_signer
    }

    /// extraData: the caller's qualifying data (a nonce, or vouch's binding).
    pub fn extra_data(&self) -> &[u8] {
        &self.extra_data
    }

    /// clockInfo.
    pub fn clock_info(&self) -> ClockInfo {
        self.clock_info
    }

    /// firmwareVersion: vendor-specific.
    pub fn firmware_version(&self) -> u64 {
        self.firmware_version
    }

    /// attested.
    pub fn attested(&self) -> &Attested {
        &self.attested
    }
}

/// A parsed TPMT_SIGNATURE, of the schemes vouch verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttestSignature {
    /// TPM_ALG_RSASSA: RSASSA-PKCS1-v1_5.
    Rsassa {
        /// The hash signed.
        hash: u16,
        /// The signature, big-endian.
        sig: Vec<u8>,
    },
    /// TPM_ALG_RSAPSS: RSASSA-PSS.
    Rsapss {
        /// The hash signed (and used by MGF1).
        hash: u16,
        /// The signature, big-endian.
        sig: Vec<u8>,
    },
    /// TPM_ALG_ECDSA.
    Ecdsa {
        /// The hash signed.
        hash: u16,
        /// r, big-endian.
        r: Vec<u8>,
        /// s, big-endian.
        s: Vec<u8>,
    },
}

impl AttestSignature {
    /// Parses one marshaled TPMT_SIGNATURE; other schemes (HMAC, ECDAA,
    /// SM2, ECSCHNORR, NULL) are refused by name.
    pub fn parse(b: &[u8]) -> Result<Self, TpmError> {
        bounded(SIGNATURE, b)?;
        let mut f = Fields::new(SIGNATURE, b);
        let sig_alg = f.u16()?;
        let parsed = match sig_alg {
            alg::RSASSA => AttestSignature::Rsassa {
                hash: f.u16()?,
                sig: f.tpm2b()?,
            },
            alg::RSAPSS => AttestSignature::Rsapss {
                hash: f.u16()?,
                sig: f.tpm2b()?,
            },
            alg::ECDSA => AttestSignature::Ecdsa {
                hash: f.u16()?,
                r: f.tpm2b()?,
                s: f.tpm2b()?,
            },
            other => {
                return Err(TpmError::UnsupportedAlgorithm(format!(
                    "{} as a signature scheme",
                    alg_name(other)
                )));
            }
        };
        f.end()?;
        Ok(parsed)
    }

    /// The scheme's algorithm.
    pub fn sig_alg(&self) -> u16 {
        match self {
            AttestSignature::Rsassa { .. } => alg::RSASSA,
            AttestSignature::Rsapss { .. } => alg::RSAPSS,
            AttestSignature::Ecdsa { .. } => alg::ECDSA,
        }
    }

    /// The hash algorithm signed with.
    pub fn hash(&self) -> u16 {
        match self {
            AttestSignature::Rsassa { hash, .. }
            | AttestSignature::Rsapss { hash, .. }
            | AttestSignature::Ecdsa { hash, .. } => *hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tpm2b(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&u16::try_from(b.len()).unwrap().to_be_bytes());
        out.extend_from_slice(b);
    }

    /// An ECC P-256 TPMT_PUBLIC, annotated.
    fn ecc_public(attrs: u32, x: &[u8], y: &[u8]) -> Vec<u8> {
        let mut p = vec![
            0x00, 0x23, // type TPM_ALG_ECC
            0x00, 0x0b, // nameAlg TPM_ALG_SHA256
        ];
        p.extend_from_slice(&attrs.to_be_bytes()); // objectAttributes
        p.extend_from_slice(&[
            0x00, 0x00, // authPolicy: empty
            0x00, 0x10, // symmetric TPM_ALG_NULL
            0x00, 0x18, 0x00, 0x0b, // scheme TPM_ALG_ECDSA, SHA-256
            0x00, 0x03, // curveID TPM_ECC_NIST_P256
            0x00, 0x10, // kdf TPM_ALG_NULL
        ]);
        tpm2b(&mut p, x);
        tpm2b(&mut p, y);
        p
    }

    #[test]
    fn ecc_public_fields() {
        let p = Public::parse(&ecc_public(0x0005_0072, &[1; 32], &[2; 32])).unwrap();
        assert_eq!(p.object_type(), alg::ECC);
        assert_eq!(p.name_alg(), alg::SHA256);
        assert_eq!(
            p.attributes().to_string(),
            "fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign"
        );
        assert_eq!(
            p.scheme(),
            Scheme {
                alg: alg::ECDSA,
                hash: Some(alg::SHA256)
            }
        );
        assert!(matches!(p.params(), KeyParams::Ecc { curve: 3, x, .. } if x == &[1; 32]));
        let mut trailing = ecc_public(0, &[1], &[2]);
        trailing.push(0);
        assert_eq!(
            Public::parse(&trailing),
            Err(TpmError::Malformed {
                what: PUBLIC,
                why: "trailing bytes"
            })
        );
    }

    #[test]
    fn unknown_types_and_schemes_are_named() {
        let mut p = ecc_public(0, &[], &[]);
        p[1] = 0x25; // TPM_ALG_SYMCIPHER
        assert_eq!(
            Public::parse(&p),
            Err(TpmError::UnsupportedAlgorithm(
                "TPM_ALG_SYMCIPHER as an object type".into()
            ))
        );
        assert_eq!(
            AttestSignature::parse(&[0x00, 0x05, 0x00, 0x0b]),
            Err(TpmError::UnsupportedAlgorithm(
                "TPM_ALG_HMAC as a signature scheme".into()
            ))
        );
        assert!(matches!(
            Attest::parse(&vec![0; MAX_STRUCTURE_LEN + 1]),
            Err(TpmError::TooLarge { .. })
        ));
    }

    #[test]
    fn attributes_display_reserved_bits() {
        assert_eq!(ObjectAttributes::default().to_string(), "none");
        assert_eq!(
            ObjectAttributes::from_bits(0x0004_0001).to_string(),
            "sign|0x00000001"
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Public::parse(&bytes);
            let _ = Attest::parse(&bytes);
            let _ = AttestSignature::parse(&bytes);
            let _ = name(&bytes);
        }

        #[test]
        fn certify_attest_fields_round_trip(
            signer in proptest::collection::vec(any::<u8>(), 0..40),
            extra in proptest::collection::vec(any::<u8>(), 0..64),
            clock in any::<u64>(),
            resets in any::<u32>(),
            restarts in any::<u32>(),
            safe in any::<bool>(),
            fw in any::<u64>(),
            certified in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut a = TPM_GENERATED_VALUE.to_be_bytes().to_vec();
            a.extend_from_slice(&st::ATTEST_CERTIFY.to_be_bytes());
            tpm2b(&mut a, &signer);
            tpm2b(&mut a, &extra);
            a.extend_from_slice(&clock.to_be_bytes());
            a.extend_from_slice(&resets.to_be_bytes());
            a.extend_from_slice(&restarts.to_be_bytes());
            a.push(u8::from(safe));
            a.extend_from_slice(&fw.to_be_bytes());
            tpm2b(&mut a, &certified);
            tpm2b(&mut a, &[]);
            let p = Attest::parse(&a).unwrap();
            prop_assert_eq!(p.qualified_signer(), &signer[..]);
            prop_assert_eq!(p.extra_data(), &extra[..]);
            prop_assert_eq!(p.clock_info(), ClockInfo { clock, reset_count: resets, restart_count: restarts, safe });
            prop_assert_eq!(p.firmware_version(), fw);
            prop_assert_eq!(p.attested(), &Attested::Certify { name: certified, qualified_name: vec![] });
            // Every strict prefix is truncated, never accepted.
            for n in 0..a.len() {
                prop_assert!(Attest::parse(&a[..n]).is_err());
            }
        }

        #[test]
        fn signatures_round_trip(
            scheme in prop_oneof![Just(alg::RSASSA), Just(alg::RSAPSS), Just(alg::ECDSA)],
            hash in any::<u16>(),
            a in proptest::collection::vec(any::<u8>(), 0..300),
            b in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut m = scheme.to_be_bytes().to_vec();
            m.extend_from_slice(&hash.to_be_bytes());
            tpm2b(&mut m, &a);
            if scheme == alg::ECDSA {
                tpm2b(&mut m, &b);
            }
            let expected = match scheme {
                alg::RSASSA => AttestSignature::Rsassa { hash, sig: a },
                alg::RSAPSS => AttestSignature::Rsapss { hash, sig: a },
                _ => AttestSignature::Ecdsa { hash, r: a, s: b },
            };
            let parsed = AttestSignature::parse(&m).unwrap();
            prop_assert_eq!((parsed.sig_alg(), parsed.hash()), (scheme, hash));
            prop_assert_eq!(&parsed, &expected);
            m.push(0);
            prop_assert!(AttestSignature::parse(&m).is_err());
        }

        #[test]
        fn ecc_public_round_trips(
            attrs in any::<u32>(),
            x in proptest::collection::vec(any::<u8>(), 0..48),
            y in proptest::collection::vec(any::<u8>(), 0..48),
        ) {
            let bytes = ecc_public(attrs, &x, &y);
            let p = Public::parse(&bytes).unwrap();
            prop_assert_eq!(p.attributes().bits(), attrs);
            let is_point = matches!(p.params(), KeyParams::Ecc { x: px, y: py, .. } if px == &x && py == &y);
            prop_assert!(is_point);
            let n = name(&bytes).unwrap();
            prop_assert_eq!(&n[..2], &[0x00, 0x0b]);
            prop_assert_eq!(&n[2..], &sha2::Sha256::digest(&bytes)[..]);
        }
    }
}
