//! TPM 2.0 key attestation (`vouch_core::tpm`) against the public samples
//! (go-attestation's GCP vTPM AK, quote and creation attestation; the W3C
//! `tpm-es256` vector; py-webauthn's Windows Hello registrations) and
//! against TPM2_Certify attestations built here, valid and tampered.
//!
//! The samples are no vouch enrollments (none certifies a vouch key with
//! its binding), so each is parsed, its names and signatures checked, and
//! then refused by `verify` for its own reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use ciborium::value::Value;
use der::{Decode as _, Encode as _};
use p256::ecdsa::SigningKey;
use proptest::prelude::*;
use sha2::{Digest as _, Sha256};
use signature::Signer as _;
use spki::DecodePublicKey as _;
use vouch_core::PublicKey;
use vouch_core::tpm::{
    self, Attest, AttestSignature, Attested, KeyAttestation, KeyParams, LegacySha1,
    ObjectAttributes as A, Public, TpmError, alg, st,
};

// ---------------------------------------------------------------------------
// Test-only marshaling (the signer side uses tss-esapi's own).

fn tpm2b(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&u16::try_from(b.len()).unwrap().to_be_bytes());
    out.extend_from_slice(b);
}

/// TPMT_PUBLIC of an ECC NIST P-256 key, ECDSA/SHA-256, nameAlg SHA-256.
fn ecc_public(attrs: A, sec1: &[u8]) -> Vec<u8> {
    assert_eq!(sec1.len(), 65);
    let mut p = Vec::new();
    p.extend_from_slice(&alg::ECC.to_be_bytes());
    p.extend_from_slice(&alg::SHA256.to_be_bytes());
    p.extend_from_slice(&attrs.bits().to_be_bytes());
    tpm2b(&mut p, &[]); // authPolicy
    p.extend_from_slice(&alg::NULL.to_be_bytes()); // symmetric
    p.extend_from_slice(&alg::ECDSA.to_be_bytes()); // scheme
    p.extend_from_slice(&alg::SHA256.to_be_bytes());
    p.extend_from_slice(&tpm::TPM_ECC_NIST_P256.to_be_bytes());
    p.extend_from_slice(&alg::NULL.to_be_bytes()); // kdf
    tpm2b(&mut p, &sec1[1..33]);
    tpm2b(&mut p, &sec1[33..65]);
    p
}

/// TPMT_PUBLIC of an RSA key, RSASSA/SHA-1, nameAlg SHA-256.
fn rsa_public(attrs: A, modulus: &[u8], exponent: u32) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&alg::RSA.to_be_bytes());
    p.extend_from_slice(&alg::SHA256.to_be_bytes());
    p.extend_from_slice(&attrs.bits().to_be_bytes());
    tpm2b(&mut p, &[]);
    p.extend_from_slice(&alg::NULL.to_be_bytes());
    p.extend_from_slice(&alg::RSASSA.to_be_bytes());
    p.extend_from_slice(&alg::SHA1.to_be_bytes());
    p.extend_from_slice(&u16::try_from(modulus.len() * 8).unwrap().to_be_bytes());
    p.extend_from_slice(&exponent.to_be_bytes());
    tpm2b(&mut p, modulus);
    p
}

/// TPMS_ATTEST of type `ty` with a TPMS_CERTIFY_INFO body.
fn certify_attest(magic: u32, ty: u16, extra: &[u8], name: &[u8]) -> Vec<u8> {
    let mut a = magic.to_be_bytes().to_vec();
    a.extend_from_slice(&ty.to_be_bytes());
    tpm2b(&mut a, b"\x00\x0bqualified-signer-of-the-ak......");
    tpm2b(&mut a, extra);
    a.extend_from_slice(&1_234_567u64.to_be_bytes()); // clock
    a.extend_from_slice(&3u32.to_be_bytes()); // resetCount
    a.extend_from_slice(&1u32.to_be_bytes()); // restartCount
    a.push(1); // safe
    a.extend_from_slice(&0x0001_0002_0003_0004u64.to_be_bytes()); // firmwareVersion
    tpm2b(&mut a, name);
    tpm2b(&mut a, name); // qualifiedName: not checked
    a
}

/// TPMT_SIGNATURE ECDSA/SHA-256 from a P-256 signature.
fn ecdsa_signature(sig: &p256::ecdsa::Signature) -> Vec<u8> {
    let (r, s) = sig.split_bytes();
    let mut out = Vec::new();
    out.extend_from_slice(&alg::ECDSA.to_be_bytes());
    out.extend_from_slice(&alg::SHA256.to_be_bytes());
    tpm2b(&mut out, &r);
    tpm2b(&mut out, &s);
    out
}

/// TPMT_SIGNATURE RSASSA with `hash`.
fn rsassa_signature(hash: u16, sig: &[u8]) -> Vec<u8> {
    let mut out = alg::RSASSA.to_be_bytes().to_vec();
    out.extend_from_slice(&hash.to_be_bytes());
    tpm2b(&mut out, sig);
    out
}

fn name_sha256(public: &[u8]) -> Vec<u8> {
    let mut n = alg::SHA256.to_be_bytes().to_vec();
    n.extend_from_slice(&Sha256::digest(public));
    n
}

fn sec1(k: &SigningKey) -> Vec<u8> {
    k.verifying_key().to_sec1_point(false).as_bytes().to_vec()
}

const AK_ATTRS: A = A::FIXED_TPM
    .union(A::FIXED_PARENT)
    .union(A::SENSITIVE_DATA_ORIGIN)
    .union(A::USER_WITH_AUTH)
    .union(A::RESTRICTED)
    .union(A::SIGN);
const KEY_ATTRS: A = A::FIXED_TPM
    .union(A::FIXED_PARENT)
    .union(A::SENSITIVE_DATA_ORIGIN)
    .union(A::USER_WITH_AUTH)
    .union(A::SIGN);

// ---------------------------------------------------------------------------
// The shared samples.

fn dir(set: &str) -> Option<PathBuf> {
    Some(vouch_test_support::vectors_dir()?.join(set))
}

fn read(dir: &std::path::Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn go_attestation_ak_quote_and_creation() {
    let Some(d) = dir("tpm2-go-attestation") else {
        return;
    };
    let ak_bytes = read(&d, "ak_public.TPMT_PUBLIC.bin");
    let ak = Public::parse(&ak_bytes).unwrap();
    assert_eq!(ak.object_type(), alg::RSA);
    assert_eq!(ak.name_alg(), alg::SHA256);
    assert!(matches!(ak.params(), KeyParams::Rsa { key_bits: 2048, .. }));
    assert_eq!(tpm::check_ak_attributes(&ak), Ok(()));
    // As a signing key, an AK is refused: it is restricted.
    assert_eq!(
        tpm::check_key_attributes(&ak),
        Err(TpmError::KeyAttributes {
            missing: A::default(),
            forbidden: A::RESTRICTED
        })
    );

    let creation = read(&d, "ak_creation_attest.TPMS_ATTEST.bin");
    let creation_sig = read(&d, "ak_creation_sig.TPMT_SIGNATURE.bin");
    let quote = read(&d, "quote.TPMS_ATTEST.bin");
    let quote_sig = read(&d, "quote_sig.TPMT_SIGNATURE.bin");

    // The creation attestation names the AK: names bind.
    let c = Attest::parse(&creation).unwrap();
    assert_eq!(c.magic(), tpm::TPM_GENERATED_VALUE);
    assert_eq!(c.attest_type(), st::ATTEST_CREATION);
    let Attested::Creation {
        object_name,
        creation_hash,
    } = c.attested()
    else {
        panic!("not a creation attestation")
    };
    assert_eq!(object_name, &tpm::name(&ak_bytes).unwrap());
    assert_eq!(object_name, &name_sha256(&ak_bytes));
    let data = read(&d, "ak_creation_data.TPMS_CREATION_DATA.bin");
    assert_eq!(creation_hash.as_slice(), &Sha256::digest(&data)[..]);

    let q = Attest::parse(&quote).unwrap();
    assert_eq!(q.attest_type(), st::ATTEST_QUOTE);
    assert!(q.extra_data().is_empty());
    let Attested::Quote { pcr_select, .. } = q.attested() else {
        panic!("not a quote")
    };
    assert_eq!(pcr_select.len(), 1);
    assert_eq!(pcr_select[0].hash, alg::SHA1);
    assert_eq!(pcr_select[0].select, [0xff, 0xff, 0xff]);

    // Both signatures verify, with SHA-1, through the legacy function only.
    for (attest, sig) in [(&creation, &creation_sig), (&quote, &quote_sig)] {
        let s = AttestSignature::parse(sig).unwrap();
        assert_eq!((s.sig_alg(), s.hash()), (alg::RSASSA, alg::SHA1));
        assert_eq!(
            tpm::verify_ak_signature_legacy_sha1(&ak, attest, &s),
            Ok(())
        );
        assert!(matches!(
            tpm::verify_ak_signature(&ak, attest, &s),
            Err(TpmError::UnsupportedAlgorithm(n)) if n == "TPM_ALG_RSASSA with TPM_ALG_SHA1"
        ));
        let mut flipped = attest.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            tpm::verify_ak_signature_legacy_sha1(&ak, &flipped, &s),
            Err(TpmError::BadSignature)
        );
    }

    // verify's rules: neither is a TPM2_Certify, each refused by its type
    // (with SHA-1 allowed, so that the signature passes first).
    let some_key = PublicKey::p256_sec1(&sec1(&SigningKey::from_slice(&[3; 32]).unwrap())).unwrap();
    for (attest, sig, ty) in [
        (&creation, &creation_sig, 0x801a),
        (&quote, &quote_sig, 0x8018),
    ] {
        let att = KeyAttestation::new(
            attest.clone(),
            sig.clone(),
            ak_bytes.clone(),
            ak_bytes.clone(),
        )
        .unwrap();
        assert_eq!(
            att.verify_with(&some_key, &[&ak_bytes], LegacySha1::Allow),
            Err(TpmError::WrongType(ty))
        );
        assert!(matches!(
            att.verify(&some_key, &[&ak_bytes]),
            Err(TpmError::UnsupportedAlgorithm(_))
        ));
        assert_eq!(att.ak_name(), name_sha256(&ak_bytes));
        let back = KeyAttestation::from_bytes(&att.to_bytes()).unwrap();
        assert_eq!(back, att);
    }
}

/// The P-256 point of a certificate's subject key.
fn cert_p256_point(cert_der: &[u8]) -> Vec<u8> {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    p256::ecdsa::VerifyingKey::from_public_key_der(&spki)
        .unwrap()
        .to_sec1_point(false)
        .as_bytes()
        .to_vec()
}

/// The RSA modulus and exponent of a certificate's subject key.
fn cert_rsa(cert_der: &[u8]) -> (Vec<u8>, u32) {
    use rsa::traits::PublicKeyParts as _;
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let k = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    let n = k.n().to_be_bytes().to_vec();
    let e = k.e().to_be_bytes();
    let e = u32::try_from(e.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))).unwrap();
    (n, e)
}

#[test]
fn w3c_tpm_es256_sample() {
    let Some(d) = dir("w3c-webauthn/tpm-es256") else {
        return;
    };
    let cert_info = read(&d, "certInfo.TPMS_ATTEST.bin");
    let pub_area = read(&d, "pubArea.TPMT_PUBLIC.bin");
    let attest = Attest::parse(&cert_info).unwrap();
    assert_eq!(attest.attest_type(), st::ATTEST_CERTIFY);
    let Attested::Certify { name, .. } = attest.attested() else {
        panic!("not a certify")
    };
    assert_eq!(name, &tpm::name(&pub_area).unwrap());
    let key_area = Public::parse(&pub_area).unwrap();
    let KeyParams::Ecc { curve, x, y, .. } = key_area.params() else {
        panic!("not ECC")
    };
    assert_eq!(*curve, tpm::TPM_ECC_NIST_P256);
    let mut point = vec![4];
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    let key = PublicKey::p256_sec1(&point).unwrap();

    // The AIK's key is in its certificate; as TPMT_PUBLIC it is marshaled
    // here, and sig.der (an ECDSA DER signature) as a TPMT_SIGNATURE.
    let ak = ecc_public(AK_ATTRS, &cert_p256_point(&read(&d, "x5c_0.der")));
    let der_sig = p256::ecdsa::Signature::from_der(&read(&d, "sig.der")).unwrap();
    let sig = ecdsa_signature(&der_sig);
    let parsed_sig = AttestSignature::parse(&sig).unwrap();
    let parsed_ak = Public::parse(&ak).unwrap();
    assert_eq!(
        tpm::verify_ak_signature(&parsed_ak, &cert_info, &parsed_sig),
        Ok(())
    );

    // The key has only `sign`: a WebAuthn credential, not a key that is
    // known to stay in its TPM.
    let att = KeyAttestation::new(cert_info, sig, ak.clone(), pub_area).unwrap();
    assert_eq!(
        att.verify(&key, &[&ak]),
        Err(TpmError::KeyAttributes {
            missing: A::FIXED_TPM | A::FIXED_PARENT | A::SENSITIVE_DATA_ORIGIN,
            forbidden: A::default()
        })
    );
}

fn b64url(s: &str) -> Vec<u8> {
    vouch_test_support::base64_any(s)
}

fn text_entry<'a>(map: &'a [(Value, Value)], key: &str) -> &'a Value {
    &map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap_or_else(|| panic!("no {key}"))
        .1
}

#[test]
fn windows_hello_registrations() {
    let Some(json) = vouch_test_support::vector_json("py-webauthn", "tpm-registrations.json")
    else {
        return;
    };
    let regs = json["tpm_registrations"].as_array().unwrap();
    assert_eq!(regs.len(), 4);
    let some_key = PublicKey::p256_sec1(&sec1(&SigningKey::from_slice(&[3; 32]).unwrap())).unwrap();
    let mut ecc = 0;
    for r in regs {
        let who = r["name"].as_str().unwrap();
        let object = b64url(
            r["credential"]["response"]["attestationObject"]
                .as_str()
                .unwrap(),
        );
        let Value::Map(m) = ciborium::from_reader(object.as_slice()).unwrap() else {
            panic!()
        };
        let Value::Map(stmt) = text_entry(&m, "attStmt") else {
            panic!()
        };
        let bytes = |k| text_entry(stmt, k).as_bytes().unwrap().clone();
        let (cert_info, pub_area, raw_sig) = (bytes("certInfo"), bytes("pubArea"), bytes("sig"));
        let Value::Array(x5c) = text_entry(stmt, "x5c") else {
            panic!()
        };
        let aik = x5c[0].as_bytes().unwrap();

        let attest = Attest::parse(&cert_info).unwrap();
        let Attested::Certify { name, .. } = attest.attested() else {
            panic!("{who}: not a certify")
        };
        assert_eq!(name, &tpm::name(&pub_area).unwrap(), "{who}");

        let (n, e) = cert_rsa(aik);
        let ak = rsa_public(AK_ATTRS, &n, e);
        let sig = rsassa_signature(alg::SHA1, &raw_sig);
        let parsed_sig = AttestSignature::parse(&sig).unwrap();
        let parsed_ak = Public::parse(&ak).unwrap();
        assert_eq!(
            tpm::verify_ak_signature_legacy_sha1(&parsed_ak, &cert_info, &parsed_sig),
            Ok(()),
            "{who}"
        );

        let key_area = Public::parse(&pub_area).unwrap();
        if let KeyParams::Ecc { x, y, .. } = key_area.params() {
            // The ECC credential key has a vouch key's attributes: this is
            // a real TPM2_Certify verify accepts up to its extraData, which
            // is WebAuthn's SHA-1(authData || clientDataHash), not vouch's
            // binding.
            assert_eq!(tpm::check_key_attributes(&key_area), Ok(()), "{who}");
            let mut point = vec![4];
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            let key = PublicKey::p256_sec1(&point).unwrap();
            let att = KeyAttestation::new(cert_info, sig, ak.clone(), pub_area).unwrap();
            assert_eq!(
                att.verify_with(&key, &[&ak], LegacySha1::Allow),
                Err(TpmError::ExtraDataMismatch),
                "{who}"
            );
            assert!(matches!(
                att.verify(&key, &[&ak]),
                Err(TpmError::UnsupportedAlgorithm(_))
            ));
            ecc += 1;
            continue;
        }
        // Windows Hello's RSA keys may decrypt too: refused as vouch
        // signing keys.
        let Err(TpmError::KeyAttributes { forbidden, .. }) = tpm::check_key_attributes(&key_area)
        else {
            panic!("{who}: attributes {} accepted", key_area.attributes())
        };
        assert_eq!(forbidden, A::DECRYPT, "{who}");
        let att = KeyAttestation::new(cert_info, sig, ak.clone(), pub_area).unwrap();
        assert!(
            matches!(
                att.verify_with(&some_key, &[&ak], LegacySha1::Allow),
                Err(TpmError::KeyAttributes {
                    forbidden: A::DECRYPT,
                    ..
                })
            ),
            "{who}"
        );
        assert!(
            matches!(
                att.verify(&some_key, &[&ak]),
                Err(TpmError::UnsupportedAlgorithm(_))
            ),
            "{who}"
        );
    }
    assert_eq!(ecc, 1);
}

// ---------------------------------------------------------------------------
// TPM2_Certify attestations built here.

struct Build {
    magic: u32,
    ty: u16,
    key_attrs: A,
    ak_attrs: A,
    /// None: binding(key).
    extra: Option<Vec<u8>>,
    /// None: the name of the key's public area.
    name: Option<Vec<u8>>,
    flip_signature: bool,
}

impl Default for Build {
    fn default() -> Self {
        Build {
            magic: tpm::TPM_GENERATED_VALUE,
            ty: st::ATTEST_CERTIFY,
            key_attrs: KEY_ATTRS,
            ak_attrs: AK_ATTRS,
            extra: None,
            name: None,
            flip_signature: false,
        }
    }
}

fn ak_key() -> SigningKey {
    SigningKey::from_slice(&[0x11; 32]).unwrap()
}

fn user_key() -> SigningKey {
    SigningKey::from_slice(&[0x22; 32]).unwrap()
}

fn enrolled() -> PublicKey {
    PublicKey::p256_sec1(&sec1(&user_key())).unwrap()
}

fn ak_public(attrs: A) -> Vec<u8> {
    ecc_public(attrs, &sec1(&ak_key()))
}

fn build(b: &Build) -> KeyAttestation {
    let key = enrolled();
    let key_public = ecc_public(b.key_attrs, key.point());
    let extra = b
        .extra
        .clone()
        .unwrap_or_else(|| tpm::binding(&key).to_vec());
    let name = b.name.clone().unwrap_or_else(|| name_sha256(&key_public));
    let attest = certify_attest(b.magic, b.ty, &extra, &name);
    let sig: p256::ecdsa::Signature = ak_key().sign(&attest);
    let mut sig = ecdsa_signature(&sig);
    if b.flip_signature {
        *sig.last_mut().unwrap() ^= 1;
    }
    KeyAttestation::new(attest, sig, ak_public(b.ak_attrs), key_public).unwrap()
}

fn verify(b: &Build) -> Result<vouch_core::tpm::VerifiedTpmKey, TpmError> {
    let att = build(b);
    att.verify(&enrolled(), &[&ak_public(b.ak_attrs)])
}

#[test]
fn a_built_certify_verifies() {
    let att = build(&Build::default());
    let ak = ak_public(AK_ATTRS);
    let other_ak = ecc_public(AK_ATTRS, &sec1(&SigningKey::from_slice(&[5; 32]).unwrap()));
    let ok = att.verify(&enrolled(), &[&other_ak, &ak]).unwrap();
    assert_eq!(ok.key_id(), enrolled().key_id());
    assert_eq!(ok.ak_name(), name_sha256(&ak));
    assert_eq!(ok.ak_name(), att.ak_name());
    assert_eq!(ok.firmware_version(), 0x0001_0002_0003_0004);
    let clock = ok.clock_info();
    assert_eq!(
        (
            clock.clock,
            clock.reset_count,
            clock.restart_count,
            clock.safe
        ),
        (1_234_567, 3, 1, true)
    );
    assert_eq!(
        ok.qualified_signer(),
        b"\x00\x0bqualified-signer-of-the-ak......"
    );
    assert_eq!(att.ak_public(), ak.as_slice());
    // Stored and read back, it verifies the same.
    let back = KeyAttestation::from_bytes(&att.to_bytes()).unwrap();
    assert_eq!(back.verify(&enrolled(), &[&ak]), Ok(ok));
    // And through the vouch-wide error type.
    let e: vouch_core::Error = TpmError::UntrustedAk.into();
    assert!(matches!(e, vouch_core::Error::Tpm(TpmError::UntrustedAk)));
}

#[test]
fn tampered_certifies_fail_each_for_its_reason() {
    let d = Build::default;
    assert_eq!(
        verify(&Build {
            magic: 0xff54_4348,
            ..d()
        }),
        Err(TpmError::WrongMagic(0xff54_4348))
    );
    // A creation body has the shape of a certify body; a time attestation's
    // body is not parsed: both are refused by their type.
    assert_eq!(
        verify(&Build {
            ty: st::ATTEST_CREATION,
            ..d()
        }),
        Err(TpmError::WrongType(0x801a))
    );
    assert_eq!(
        verify(&Build {
            ty: st::ATTEST_TIME,
            ..d()
        }),
        Err(TpmError::WrongType(0x8019))
    );
    // A quote body does not parse from a certify body: the name's size
    // and first bytes read as a count of PCR banks no TPM has.
    let att = build(&d());
    let mut quote = att.attest().to_vec();
    quote[4..6].copy_from_slice(&st::ATTEST_QUOTE.to_be_bytes());
    assert!(matches!(
        Attest::parse(&quote),
        Err(TpmError::TooMany { max: 16, .. })
    ));
    let other_public = ecc_public(KEY_ATTRS, &sec1(&ak_key()));
    assert_eq!(
        verify(&Build {
            name: Some(name_sha256(&other_public)),
            ..d()
        }),
        Err(TpmError::NameMismatch)
    );
    assert_eq!(
        verify(&Build {
            extra: Some(vec![0; 32]),
            ..d()
        }),
        Err(TpmError::ExtraDataMismatch)
    );
    assert_eq!(
        verify(&Build {
            key_attrs: KEY_ATTRS | A::RESTRICTED,
            ..d()
        }),
        Err(TpmError::KeyAttributes {
            missing: A::default(),
            forbidden: A::RESTRICTED
        })
    );
    assert_eq!(
        verify(&Build {
            key_attrs: KEY_ATTRS | A::DECRYPT,
            ..d()
        }),
        Err(TpmError::KeyAttributes {
            missing: A::default(),
            forbidden: A::DECRYPT
        })
    );
    // Duplicable: may leave the TPM.
    assert_eq!(
        verify(&Build {
            key_attrs: KEY_ATTRS.difference(A::FIXED_TPM | A::FIXED_PARENT),
            ..d()
        }),
        Err(TpmError::KeyAttributes {
            missing: A::FIXED_TPM | A::FIXED_PARENT,
            forbidden: A::default()
        })
    );
    // An AK that is not restricted could sign forged TPMS_ATTEST bytes.
    assert_eq!(
        verify(&Build {
            ak_attrs: AK_ATTRS.difference(A::RESTRICTED),
            ..d()
        }),
        Err(TpmError::AkAttributes {
            missing: A::RESTRICTED
        })
    );
    assert_eq!(
        verify(&Build {
            flip_signature: true,
            ..d()
        }),
        Err(TpmError::BadSignature)
    );
    let att = build(&d());
    let other_ak = ecc_public(AK_ATTRS, &sec1(&SigningKey::from_slice(&[5; 32]).unwrap()));
    assert_eq!(
        att.verify(&enrolled(), &[&other_ak]),
        Err(TpmError::UntrustedAk)
    );
    assert_eq!(att.verify(&enrolled(), &[]), Err(TpmError::UntrustedAk));
    let other = PublicKey::p256_sec1(&sec1(&ak_key())).unwrap();
    assert_eq!(
        att.verify(&other, &[&ak_public(AK_ATTRS)]),
        Err(TpmError::KeyMismatch)
    );
    let ed = PublicKey::ed25519(&[9; 32]).unwrap();
    assert_eq!(
        att.verify(&ed, &[&ak_public(AK_ATTRS)]),
        Err(TpmError::KeyMismatch)
    );
    // Bytes appended to the signed attestation: malformed, never ignored.
    let mut long = att.attest().to_vec();
    long.push(0);
    assert!(matches!(
        KeyAttestation::new(
            long,
            att.signature().to_vec(),
            att.ak_public().to_vec(),
            att.key_public().to_vec()
        ),
        Err(TpmError::Malformed {
            what: "TPMS_ATTEST",
            why: "trailing bytes"
        })
    ));
}

#[test]
fn storage_encoding_is_annotated_cbor() {
    let att = build(&Build::default());
    let bytes = att.to_bytes();
    let mut expected = vec![0xa4]; // map(4)
    for (label, part) in [
        (0x01, att.attest()),     // 1: TPMS_ATTEST
        (0x02, att.signature()),  // 2: TPMT_SIGNATURE
        (0x03, att.ak_public()),  // 3: the AK's TPMT_PUBLIC
        (0x04, att.key_public()), // 4: the key's TPMT_PUBLIC
    ] {
        expected.push(label);
        let len = part.len();
        if len < 24 {
            expected.push(0x40 | u8::try_from(len).unwrap());
        } else if len < 256 {
            expected.extend_from_slice(&[0x58, u8::try_from(len).unwrap()]);
        } else {
            expected.push(0x59);
            expected.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
        }
        expected.extend_from_slice(part);
    }
    assert_eq!(bytes, expected);
    // A non-canonical length, a missing or an extra entry: refused.
    let mut loose = bytes.clone();
    loose.splice(2..4, [0x59, 0x00, bytes[3]]);
    assert!(KeyAttestation::from_bytes(&loose).is_err());
    let mut three = bytes.clone();
    three[0] = 0xa3;
    assert!(KeyAttestation::from_bytes(&three).is_err());
    let mut five = bytes.clone();
    five[0] = 0xa5;
    five.extend_from_slice(&[0x05, 0x40]);
    assert!(KeyAttestation::from_bytes(&five).is_err());
    let mut trailing = bytes;
    trailing.push(0);
    assert!(KeyAttestation::from_bytes(&trailing).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn storage_round_trips(
        extra in proptest::collection::vec(any::<u8>(), 0..64),
        key_bits in any::<u32>(),
        ak_bits in any::<u32>(),
    ) {
        let att = build(&Build {
            extra: Some(extra),
            key_attrs: A::from_bits(key_bits),
            ak_attrs: A::from_bits(ak_bits),
            ..Build::default()
        });
        let bytes = att.to_bytes();
        let back = KeyAttestation::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back, att);
    }
}

// ---------------------------------------------------------------------------
// RSA attestation keys (SHA-256): RSASSA-PKCS1-v1_5 and RSA-PSS.

/// A deterministic RNG (xorshift64*) for key generation and PSS salts:
/// test keys need no secrecy, and a fixed seed keeps the test reproducible.
struct Counter(u64);

impl rsa::rand_core::TryRng for Counter {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        Ok(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_be_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for Counter {}

/// An RSA-2048 attestation key, generated from a fixed seed (no vector
/// carries a balanced RSA private key).
fn rsa_ak() -> rsa::PrivateKey {
    rsa::PrivateKey::new(&mut Counter(0x5eed_0000_0000_0001), 2048).unwrap()
}

#[test]
fn rsa_aks_sign_with_sha256() {
    use rsa::traits::PublicKeyParts as _;
    let k = rsa_ak();
    let ak = rsa_public(AK_ATTRS, &k.n().to_be_bytes(), 65537);
    let key = enrolled();
    let key_public = ecc_public(KEY_ATTRS, key.point());
    let attest = certify_attest(
        tpm::TPM_GENERATED_VALUE,
        st::ATTEST_CERTIFY,
        &tpm::binding(&key),
        &name_sha256(&key_public),
    );
    let digest = Sha256::digest(&attest);
    let pkcs1 = k.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap();
    let mut rng = Counter(7);
    let mut pss = |salt| {
        let mut s = alg::RSAPSS.to_be_bytes().to_vec();
        s.extend_from_slice(&alg::SHA256.to_be_bytes());
        let sig = k
            .sign_with_rng(&mut rng, rsa::Pss::<Sha256>::new_with_salt(salt), &digest)
            .unwrap();
        tpm2b(&mut s, &sig);
        s
    };
    // Salt lengths TPMs use: the hash's, and the largest the key allows.
    let signatures = [
        rsassa_signature(alg::SHA256, &pkcs1),
        pss(32),
        pss(256 - 32 - 2),
    ];
    for sig in signatures {
        let att = KeyAttestation::new(attest.clone(), sig.clone(), ak.clone(), key_public.clone())
            .unwrap();
        assert_eq!(
            att.verify(&key, &[&ak]).map(|v| v.key_id()),
            Ok(key.key_id())
        );
        let mut bad = sig.clone();
        *bad.last_mut().unwrap() ^= 1;
        let att = KeyAttestation::new(attest.clone(), bad, ak.clone(), key_public.clone()).unwrap();
        assert_eq!(att.verify(&key, &[&ak]), Err(TpmError::BadSignature));
    }
    // The same signature labelled SHA-1 is refused by name, not tried.
    let att = KeyAttestation::new(
        attest.clone(),
        rsassa_signature(alg::SHA1, &pkcs1),
        ak.clone(),
        key_public.clone(),
    )
    .unwrap();
    assert!(matches!(
        att.verify(&key, &[&ak]),
        Err(TpmError::UnsupportedAlgorithm(n)) if n == "TPM_ALG_RSASSA with TPM_ALG_SHA1"
    ));
    // An ECDSA signature from an RSA AK: a mismatch, never reinterpreted.
    let ecdsa: p256::ecdsa::Signature = ak_key().sign(&attest);
    let att = KeyAttestation::new(attest, ecdsa_signature(&ecdsa), ak.clone(), key_public).unwrap();
    assert!(matches!(
        att.verify(&key, &[&ak]),
        Err(TpmError::UnsupportedAlgorithm(_))
    ));
}
