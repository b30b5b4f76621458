//! TPM 2.0 resident signing keys (feature `tpm`), through tss-esapi and the
//! system's tpm2-tss (`libtss2`).
//!
//! A key is a non-exportable P-256 ECDSA/SHA-256 signing key (fixedTPM,
//! fixedParent, sensitiveDataOrigin, userWithAuth, sign; neither restricted
//! nor decrypt) under a primary storage key of the owner hierarchy. The
//! primary is not kept in the TPM: it is recreated from its template for
//! every use (a TPM derives a primary deterministically from the hierarchy
//! seed and the template), so nothing needs a persistent handle and the
//! TPM's few transient slots are free between signatures.
//!
//! The stub file holds what the TPM handed out when the key was made (its
//! `TPM2B_PUBLIC` and `TPM2B_PRIVATE`, the private part wrapped by the
//! primary so only this TPM can load it), the primary's template, and the
//! enrollment evidence: an attestation key (AK, a restricted signing key
//! under the same primary) and its `TPM2_Certify` of the signing key, over
//! qualifying data that binds the certification to the vouch key id (see
//! [`binding`]). It holds no secret.
//!
//! # Stub format
//!
//! One canonical CBOR map ([`vouch_core::cbor`]), text keys:
//!
//! | key                 | value                                                  |
//! |---------------------|--------------------------------------------------------|
//! | `format`            | `"vouch-tpm-key"`                                      |
//! | `version`           | `1`                                                    |
//! | `hierarchy`         | `"owner"`                                              |
//! | `primary_template`  | bytes: marshaled `TPMT_PUBLIC` given to CreatePrimary  |
//! | `key_public`        | bytes: the signing key's `TPM2B_PUBLIC`                |
//! | `key_private`       | bytes: the signing key's `TPM2B_PRIVATE`               |
//! | `ak_public`         | bytes: the AK's `TPM2B_PUBLIC`                         |
//! | `ak_private`        | bytes: the AK's `TPM2B_PRIVATE`                        |
//! | `certify_attest`    | bytes: the `TPMS_ATTEST` the AK signed                 |
//! | `certify_signature` | bytes: the AK's `TPMT_SIGNATURE` over it               |
//!
//! The `TPM2B_*` blobs are what `tpm2_create -u/-r` writes, so tpm2-tools
//! can load them too. Beside the stub, `STUB.pub` holds the key as an
//! OpenSSH line.
//!
//! # TPM access
//!
//! The caller names the TCTI (`swtpm:host=127.0.0.1,port=2321`,
//! `device:/dev/tpmrm0`, ...); [`tcti_from_env`] reads the usual
//! environment variables. Every command is authorized with the password
//! session (empty auth), so no session handles exist; every object handle
//! is flushed before an operation returns, on error too, because a TPM
//! without a resource manager (swtpm, `/dev/tpm0`) keeps transient objects
//! across connections and has only three slots.

mod endorsement;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tss_esapi::attributes::ObjectAttributesBuilder;
use tss_esapi::constants::tss::{TPM2_RH_NULL, TPM2_ST_HASHCHECK};
use tss_esapi::handles::KeyHandle;
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::interface_types::session_handles::AuthSession;
use tss_esapi::structures::{
    Data, Digest as TpmDigest, EccPoint, EccScheme, HashScheme, HashcheckTicket, Private, Public,
    PublicBuilder, PublicEccParametersBuilder, Signature as TpmSignature, SignatureScheme,
    SymmetricDefinitionObject,
};
use tss_esapi::traits::{Marshall, UnMarshall};
use tss_esapi::tss2_esys::{TPM2B_DIGEST, TPMT_TK_HASHCHECK};
use tss_esapi::{Context, TctiNameConf};
use vouch_core::{Algorithm, Digest, KeyId, PublicKey, SignError, Signature, Signer};

use crate::error::Error;

pub use endorsement::{MAX_EK_CERTIFICATE_LEN, endorsement_certificate};

/// The environment variable that names the TCTI for `tpm:` key references,
/// read before tpm2-tools' own [`TPM2TOOLS_TCTI_ENV`].
pub const TCTI_ENV: &str = "VOUCH_TPM_TCTI";

/// tpm2-tools' TCTI variable, the fallback of [`TCTI_ENV`].
pub const TPM2TOOLS_TCTI_ENV: &str = "TPM2TOOLS_TCTI";

/// The domain separator of [`binding`].
pub const BINDING_CONTEXT: &[u8] = vouch_core::tpm::BINDING_CONTEXT;

const STUB_FORMAT: &str = "vouch-tpm-key";
const STUB_VERSION: u64 = 1;
/// The largest stub file read, in bytes: a stub is a few hundred.
pub const MAX_STUB_LEN: u64 = 64 * 1024;

/// The TCTI from the environment: `VOUCH_TPM_TCTI`, else `TPM2TOOLS_TCTI`;
/// `None` when neither is set (or both are empty).
pub fn tcti_from_env() -> Option<String> {
    [TCTI_ENV, TPM2TOOLS_TCTI_ENV]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
}

/// The 32 bytes a key's TPM2_Certify carries as qualifying data:
/// SHA-256(`"vouch tpm key v1"` || key id). It ties the TPM's statement
/// about the key to the vouch key id, so an attestation cannot be replayed
/// for another key; `vouch_core::tpm::binding` computes the same for the
/// verifier.
pub fn binding(key: &PublicKey) -> [u8; 32] {
    // One definition, the verifier's: what it checks is what is signed.
    vouch_core::tpm::binding(key)
}

/// The stub file's content (see the module documentation).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stub {
    format: String,
    version: u64,
    hierarchy: String,
    #[serde(with = "vouch_core::cbor::byte_string")]
    primary_template: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    key_public: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    key_private: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    ak_public: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    ak_private: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    certify_attest: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    certify_signature: Vec<u8>,
}

/// The TPM2_Certify of a signing key by its attestation key, as the stub
/// keeps it (all four fields are TPM marshaled structures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The `TPMS_ATTEST` the AK signed, exactly as the TPM produced it.
    pub attest: Vec<u8>,
    /// The AK's `TPMT_SIGNATURE` over `attest`.
    pub signature: Vec<u8>,
    /// The AK's `TPMT_PUBLIC` (no `TPM2B` size prefix).
    pub ak_public: Vec<u8>,
    /// The signing key's `TPMT_PUBLIC` (no `TPM2B` size prefix); its name,
    /// `0x000b || SHA-256(key_public)`, is what `attest` certifies.
    pub key_public: Vec<u8>,
}

/// A P-256 signing key resident in a TPM, used through its stub file.
///
/// Each signature opens its own connection to the TPM (a tss-esapi
/// context is not `Send`, and [`Signer`]s travel between threads),
/// recreates the primary, loads the key, signs and flushes both.
pub struct TpmKey {
    stub_path: PathBuf,
    stub: Stub,
    tcti: String,
    public: PublicKey,
}

impl std::fmt::Debug for TpmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TpmKey")
            .field("stub", &self.stub_path)
            .field("tcti", &self.tcti)
            .field("key_id", &self.public.key_id())
            .finish_non_exhaustive()
    }
}

fn tpm_err(what: &'static str) -> impl FnOnce(tss_esapi::Error) -> Error {
    move |e| Error::Tpm {
        what,
        detail: e.to_string(),
    }
}

fn bad_stub(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidTpmStub {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// `PATH` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The template of the primary storage key: the TCG-style ECC P-256 storage
/// key (restricted decrypt, AES-128-CFB, SHA-256 names; what
/// `tpm2_createprimary -C o -G ecc` makes), empty auth and unique field.
fn primary_template() -> Result<Public, Error> {
    let attributes = ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_restricted(true)
        .with_decrypt(true)
        .build()
        .map_err(tpm_err("build the primary key template"))?;
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_ecc_parameters(
            PublicEccParametersBuilder::new_restricted_decryption_key(
                SymmetricDefinitionObject::AES_128_CFB,
                EccCurve::NistP256,
            )
            .build()
            .map_err(tpm_err("build the primary key template"))?,
        )
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
        .map_err(tpm_err("build the primary key template"))
}

/// The template of a signing key (`restricted` for the AK, which may only
/// sign what the TPM itself produced, such as certifications).
fn signing_template(restricted: bool) -> Result<Public, Error> {
    let what = "build the signing key template";
    let attributes = ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_sign_encrypt(true)
        .with_decrypt(false)
        .with_restricted(restricted)
        .build()
        .map_err(tpm_err(what))?;
    let scheme = EccScheme::EcDsa(HashScheme::new(HashingAlgorithm::Sha256));
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_ecc_parameters(
            PublicEccParametersBuilder::new_unrestricted_signing_key(scheme, EccCurve::NistP256)
                .with_restricted(restricted)
                .build()
                .map_err(tpm_err(what))?,
        )
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
        .map_err(tpm_err(what))
}

fn connect(tcti: &str) -> Result<Context, Error> {
    let conf = TctiNameConf::from_str(tcti).map_err(|e| Error::Tpm {
        what: "parse the TCTI",
        detail: format!("{:?}: {e}", crate::error::excerpt(tcti)),
    })?;
    Context::new(conf).map_err(|e| Error::Tpm {
        what: "connect to the TPM",
        detail: format!("TCTI {:?}: {e}", crate::error::excerpt(tcti)),
    })
}

/// Runs `f` with `handle`, then flushes it whatever `f` returned; the
/// first error wins.
fn flushing<T>(
    ctx: &mut Context,
    handle: KeyHandle,
    f: impl FnOnce(&mut Context) -> Result<T, Error>,
) -> Result<T, Error> {
    let result = f(ctx);
    let flushed = ctx
        .flush_context(handle.into())
        .map_err(tpm_err("flush a TPM object"));
    let value = result?;
    flushed?;
    Ok(value)
}

/// Recreates the primary from `template` and runs `f` with it, flushing it
/// afterwards.
fn with_primary<T>(
    ctx: &mut Context,
    template: Public,
    f: impl FnOnce(&mut Context, KeyHandle) -> Result<T, Error>,
) -> Result<T, Error> {
    let primary = ctx
        .execute_with_session(Some(AuthSession::Password), |c| {
            c.create_primary(Hierarchy::Owner, template, None, None, None, None)
        })
        .map_err(tpm_err("create the primary storage key"))?
        .key_handle;
    flushing(ctx, primary, |ctx| f(ctx, primary))
}

fn load(
    ctx: &mut Context,
    parent: KeyHandle,
    private: Private,
    public: Public,
    what: &'static str,
) -> Result<KeyHandle, Error> {
    ctx.execute_with_session(Some(AuthSession::Password), |c| {
        c.load(parent, private, public)
    })
    .map_err(tpm_err(what))
}

/// A `TPM2B_*` wrapping: a big-endian u16 size, then the bytes.
fn tpm2b(inner: &[u8]) -> Result<Vec<u8>, Error> {
    let len = u16::try_from(inner.len()).map_err(|_| Error::Tpm {
        what: "encode a TPM structure",
        detail: format!("{} bytes do not fit a TPM2B", inner.len()),
    })?;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(inner);
    Ok(out)
}

/// The contents of a `TPM2B_*` blob, which must be nothing else.
fn untpm2b<'a>(path: &Path, field: &str, blob: &'a [u8]) -> Result<&'a [u8], Error> {
    match blob {
        [hi, lo, rest @ ..] if usize::from(u16::from_be_bytes([*hi, *lo])) == rest.len() => {
            Ok(rest)
        }
        _ => Err(bad_stub(
            path,
            format!("{field} is not one TPM2B structure"),
        )),
    }
}

fn marshal_public(public: &Public) -> Result<Vec<u8>, Error> {
    public.marshall().map_err(tpm_err("encode a TPMT_PUBLIC"))
}

/// The P-256 point of an ECC `Public`, as a vouch key.
fn ecc_public_key(public: &Public) -> Result<PublicKey, Error> {
    let bad = |detail: String| Error::Tpm {
        what: "read the key's public part",
        detail,
    };
    let Public::Ecc { unique, .. } = public else {
        return Err(bad("not an ECC key".into()));
    };
    let mut sec1 = vec![0x04];
    for coordinate in [unique.x().value(), unique.y().value()] {
        if coordinate.len() > 32 {
            return Err(bad(format!(
                "a {}-byte coordinate is not P-256",
                coordinate.len()
            )));
        }
        // TPMs may drop leading zero bytes of a coordinate.
        sec1.extend(std::iter::repeat_n(0, 32 - coordinate.len()));
        sec1.extend_from_slice(coordinate);
    }
    PublicKey::p256_sec1(&sec1).map_err(|e| bad(e.to_string()))
}

/// An ECDSA `TPMT_SIGNATURE` as a 64-byte `r || s`, low-S.
fn es256_value(signature: &TpmSignature) -> Result<Vec<u8>, Error> {
    let bad = |detail: String| Error::Tpm {
        what: "read the TPM's signature",
        detail,
    };
    let TpmSignature::EcDsa(ecc) = signature else {
        return Err(bad(format!(
            "expected ECDSA, got {:?}",
            signature.algorithm()
        )));
    };
    if ecc.hashing_algorithm() != HashingAlgorithm::Sha256 {
        return Err(bad(format!(
            "expected SHA-256, got {:?}",
            ecc.hashing_algorithm()
        )));
    }
    let mut raw = Vec::with_capacity(64);
    for part in [ecc.signature_r().value(), ecc.signature_s().value()] {
        // Integers with leading zero bytes dropped are still in range.
        let part = match part.iter().position(|&b| b != 0) {
            Some(i) => &part[i..],
            None => &[][..],
        };
        if part.len() > 32 {
            return Err(bad(format!("a {}-byte scalar is not P-256", part.len())));
        }
        raw.extend(std::iter::repeat_n(0, 32 - part.len()));
        raw.extend_from_slice(part);
    }
    let sig = p256::ecdsa::Signature::from_slice(&raw)
        .map_err(|_| bad("r or s is out of range".into()))?;
    // ECDSA (r, s) and (r, n - s) both verify; vouch only emits low-S.
    Ok(sig.normalize_s().to_bytes().to_vec())
}

fn null_hashcheck() -> Result<HashcheckTicket, Error> {
    HashcheckTicket::try_from(TPMT_TK_HASHCHECK {
        tag: TPM2_ST_HASHCHECK,
        hierarchy: TPM2_RH_NULL,
        digest: TPM2B_DIGEST::default(),
    })
    .map_err(tpm_err("build the hash check ticket"))
}

impl TpmKey {
    /// Makes a new signing key and its attestation key in the TPM that
    /// `tcti` names, certifies the signing key with the AK (qualifying data
    /// [`binding`]), and writes the stub to `stub` and the OpenSSH public
    /// key to `stub.pub`; neither may exist.
    pub fn generate(stub: &Path, tcti: &str) -> Result<TpmKey, Error> {
        let pub_path = with_suffix(stub, ".pub");
        for p in [stub, pub_path.as_path()] {
            if p.exists() {
                return Err(Error::AlreadyExists {
                    path: p.to_path_buf(),
                });
            }
        }
        let template = primary_template()?;
        let primary_template = marshal_public(&template)?;
        let mut ctx = connect(tcti)?;
        let made = with_primary(&mut ctx, template, |ctx, primary| {
            let create = |ctx: &mut Context, restricted: bool, what: &'static str| {
                let public = signing_template(restricted)?;
                ctx.execute_with_session(Some(AuthSession::Password), |c| {
                    c.create(primary, public, None, None, None, None)
                })
                .map_err(tpm_err(what))
            };
            let key = create(ctx, false, "create the signing key")?;
            let ak = create(ctx, true, "create the attestation key")?;
            let public = ecc_public_key(&key.out_public)?;
            let qualifying = Data::try_from(binding(&public).to_vec())
                .map_err(tpm_err("build the qualifying data"))?;
            let key_handle = load(
                ctx,
                primary,
                key.out_private.clone(),
                key.out_public.clone(),
                "load the signing key",
            )?;
            let (attest, signature) = flushing(ctx, key_handle, |ctx| {
                let ak_handle = load(
                    ctx,
                    primary,
                    ak.out_private.clone(),
                    ak.out_public.clone(),
                    "load the attestation key",
                )?;
                flushing(ctx, ak_handle, |ctx| {
                    ctx.execute_with_sessions(
                        (
                            Some(AuthSession::Password),
                            Some(AuthSession::Password),
                            None,
                        ),
                        |c| {
                            c.certify(
                                key_handle.into(),
                                ak_handle,
                                qualifying,
                                SignatureScheme::Null,
                            )
                        },
                    )
                    .map_err(tpm_err("certify the signing key"))
                })
            })?;
            Ok((key, ak, public, attest, signature))
        })?;
        drop(ctx);
        let (key, ak, public, attest, signature) = made;
        let record = Stub {
            format: STUB_FORMAT.into(),
            version: STUB_VERSION,
            hierarchy: "owner".into(),
            primary_template,
            key_public: tpm2b(&marshal_public(&key.out_public)?)?,
            key_private: tpm2b(key.out_private.value())?,
            ak_public: tpm2b(&marshal_public(&ak.out_public)?)?,
            ak_private: tpm2b(ak.out_private.value())?,
            certify_attest: attest
                .marshall()
                .map_err(tpm_err("encode the TPMS_ATTEST"))?,
            certify_signature: signature
                .marshall()
                .map_err(tpm_err("encode the TPMT_SIGNATURE"))?,
        };
        // tss-esapi hands back the attestation parsed; the bytes above are
        // its re-encoding, so check that the AK's signature covers exactly
        // them before anyone relies on them.
        let ak_key = ecc_public_key(&ak.out_public)?;
        let ak_sig = Signature::new(Algorithm::Es256, &es256_value(&signature)?).map_err(|e| {
            Error::Tpm {
                what: "check the certification",
                detail: e.to_string(),
            }
        })?;
        ak_key
            .verify(&record.certify_attest, &ak_sig)
            .map_err(|e| Error::Tpm {
                what: "check the certification",
                detail: format!("the AK's signature does not cover the attest bytes: {e}"),
            })?;
        let cbor = vouch_core::cbor::to_canonical(&record).map_err(|source| Error::Encode {
            key_id: public.key_id(),
            source,
        })?;
        write_new(stub, &cbor)?;
        if let Err(e) = write_new(&pub_path, format!("{}\n", public.to_openssh()).as_bytes()) {
            let _ = std::fs::remove_file(stub);
            return Err(e);
        }
        Ok(TpmKey {
            stub_path: stub.to_path_buf(),
            stub: record,
            tcti: tcti.to_owned(),
            public,
        })
    }

    /// The key whose stub is at `stub`, used through the TPM that `tcti`
    /// names. Reads and checks the stub only; the TPM is first asked at
    /// the first signature.
    pub fn open(stub: &Path, tcti: &str) -> Result<TpmKey, Error> {
        // Checked on the opened file: a regular file (a FIFO is refused,
        // not waited on) of at most MAX_STUB_LEN bytes.
        let bytes = crate::file::fs::read_bounded(stub, MAX_STUB_LEN)?;
        let record: Stub = vouch_core::cbor::from_canonical(&bytes)
            .map_err(|e| bad_stub(stub, format!("not the expected canonical CBOR: {e}")))?;
        if record.format != STUB_FORMAT {
            return Err(bad_stub(stub, "not a vouch TPM key stub"));
        }
        if record.version != STUB_VERSION {
            return Err(bad_stub(
                stub,
                format!(
                    "version {} is not supported (this build reads version 1)",
                    record.version
                ),
            ));
        }
        if record.hierarchy != "owner" {
            return Err(bad_stub(stub, "only the owner hierarchy is supported"));
        }
        for (field, blob) in [
            ("key_private", &record.key_private),
            ("ak_private", &record.ak_private),
            ("ak_public", &record.ak_public),
        ] {
            untpm2b(stub, field, blob)?;
        }
        Public::unmarshall(&record.primary_template)
            .map_err(|e| bad_stub(stub, format!("primary_template: {e}")))?;
        let key_public = parse_public(stub, "key_public", &record.key_public)?;
        let public = ecc_public_key(&key_public)?;
        // Fail on a malformed TCTI now rather than at the first signature.
        TctiNameConf::from_str(tcti).map_err(|e| Error::Tpm {
            what: "parse the TCTI",
            detail: format!("{:?}: {e}", crate::error::excerpt(tcti)),
        })?;
        Ok(TpmKey {
            stub_path: stub.to_path_buf(),
            stub: record,
            tcti: tcti.to_owned(),
            public,
        })
    }

    /// The stub file.
    pub fn stub(&self) -> &Path {
        &self.stub_path
    }

    /// The TCTI this key is used through.
    pub fn tcti(&self) -> &str {
        &self.tcti
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The enrollment evidence: the AK's TPM2_Certify of the signing key,
    /// `(attest, signature, ak_public, key_public)` (see [`Attestation`]
    /// for each field's encoding).
    pub fn attestation(&self) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        let a = self.attestation_record();
        (a.attest, a.signature, a.ak_public, a.key_public)
    }

    /// [`TpmKey::attestation`] with named fields.
    pub fn attestation_record(&self) -> Attestation {
        // open() checked both are one TPM2B each.
        let inner = |b: &[u8]| b.get(2..).unwrap_or_default().to_vec();
        Attestation {
            attest: self.stub.certify_attest.clone(),
            signature: self.stub.certify_signature.clone(),
            ak_public: inner(&self.stub.ak_public),
            key_public: inner(&self.stub.key_public),
        }
    }

    /// An ES256 signature by the TPM over `message`: the TPM signs its
    /// SHA-256, the result is low-S and checked against the public key.
    pub fn sign_es256(&self, message: &[u8]) -> Result<Signature, Error> {
        let digest = Digest::sha256(message);
        let digest =
            TpmDigest::try_from(digest.as_bytes().to_vec()).map_err(tpm_err("build the digest"))?;
        let template = Public::unmarshall(&self.stub.primary_template)
            .map_err(|e| bad_stub(&self.stub_path, format!("primary_template: {e}")))?;
        let key_public = parse_public(&self.stub_path, "key_public", &self.stub.key_public)?;
        let key_private = Private::try_from(
            untpm2b(&self.stub_path, "key_private", &self.stub.key_private)?.to_vec(),
        )
        .map_err(|e| bad_stub(&self.stub_path, format!("key_private: {e}")))?;
        let ticket = null_hashcheck()?;
        let mut ctx = connect(&self.tcti)?;
        let tpm_sig = with_primary(&mut ctx, template, |ctx, primary| {
            let key = load(
                ctx,
                primary,
                key_private,
                key_public,
                "load the signing key",
            )?;
            flushing(ctx, key, |ctx| {
                ctx.execute_with_session(Some(AuthSession::Password), |c| {
                    c.sign(key, digest, SignatureScheme::Null, ticket)
                })
                .map_err(tpm_err("sign"))
            })
        })?;
        drop(ctx);
        let signature =
            Signature::new(Algorithm::Es256, &es256_value(&tpm_sig)?).map_err(|e| Error::Tpm {
                what: "sign",
                detail: e.to_string(),
            })?;
        self.public
            .verify(message, &signature)
            .map_err(|e| Error::Tpm {
                what: "sign",
                detail: format!("the TPM's signature does not verify: {e}"),
            })?;
        Ok(signature)
    }
}

fn parse_public(path: &Path, field: &str, blob: &[u8]) -> Result<Public, Error> {
    Public::unmarshall(untpm2b(path, field, blob)?)
        .map_err(|e| bad_stub(path, format!("{field}: {e}")))
}

/// Creates `path` with `bytes`; it must not exist.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io("create", path))?;
    f.write_all(bytes).map_err(Error::io("write", path))
}

impl Signer for TpmKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn key_id(&self) -> KeyId {
        self.public.key_id()
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        self.sign_es256(message).map_err(|e| SignError::Backend {
            key_id: self.public.key_id(),
            source: Box::new(e),
        })
    }
}
