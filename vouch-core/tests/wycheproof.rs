//! Project Wycheproof (C2SP) verification vectors for vouch-core's signature
//! primitives: Ed25519, ECDSA P-256/SHA-256 with DER signatures, and with raw
//! IEEE P1363 `r || s` signatures (the COSE encoding).
//!
//! Every test case is checked: `verified == (result == "valid")`. A case
//! where vouch deliberately differs from Wycheproof must be listed in the
//! file's deviation table with its reason; an unlisted mismatch fails the
//! test, and so does a listed deviation that no longer deviates.
//!
//! Every file runs once per crypto provider (as rustls runs its suite per
//! provider): the pure-Rust one always, AWS-LC with `--features aws-lc-rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use vouch_core::provider::{self, CryptoProvider};
use vouch_core::{Algorithm, PublicKey, Signature, VerifyError};

/// Every provider compiled in, by name.
fn providers() -> Vec<(&'static str, CryptoProvider)> {
    vec![
        ("rust", provider::rust::PROVIDER),
        #[cfg(feature = "aws-lc-rs")]
        ("aws-lc-rs", provider::aws_lc_rs::PROVIDER),
    ]
}

// Deliberate deviations from Wycheproof's expected result, one table per
// vector file (tcIds repeat across files): `(tcId, reason)`. All empty:
// vouch-core agrees with every case of all three files.
//
// vouch's policy, which the vectors confirm: Ed25519 is cofactored with
// strict encodings (S < L, canonical R and A, no small-order keys; see
// `vouch_core::provider`). No Ed25519 case changes meaning under the
// cofactored equation: the cofactorless `verify_strict` vouch used before
// and the cofactored rule both agree with all 151 cases (every group key is
// of large order, so each parses). ECDSA accepts valid high-S
// signatures (as standard ECDSA does; vouch's own signers emit low-S) and
// DER signatures must be strict DER.

/// Deviations in `ed25519_test.json`.
const ED25519_DEVIATIONS: &[(u32 /*tcId*/, &str /*reason*/)] = &[];
/// Deviations in `ecdsa_secp256r1_sha256_test.json` (DER signatures).
const ECDSA_DER_DEVIATIONS: &[(u32 /*tcId*/, &str /*reason*/)] = &[];
/// Deviations in `ecdsa_secp256r1_sha256_p1363_test.json` (raw `r || s`).
const ECDSA_P1363_DEVIATIONS: &[(u32 /*tcId*/, &str /*reason*/)] = &[];

/// Half the order of P-256, big-endian: `s` above this is "high-S".
const P256_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ed25519,
    EcdsaDer,
    EcdsaP1363,
}

#[derive(Debug, Default)]
struct Totals {
    tests: usize,
    /// Cases Wycheproof marks `valid`.
    expected_valid: usize,
    valid_accepted: usize,
    invalid_refused: usize,
    deviations: usize,
    /// ECDSA signatures with `s > n/2` that verified (must be accepted).
    high_s_accepted: usize,
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {key}"))
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(str_field(v, key)).unwrap_or_else(|e| panic!("field {key}: {e}"))
}

/// Builds the group's key from the raw form and cross-checks it against the
/// PEM SubjectPublicKeyInfo form of the same key.
fn group_key(kind: Kind, group: &Value) -> PublicKey {
    let pk = &group["publicKey"];
    let key = match kind {
        Kind::Ed25519 => PublicKey::ed25519(&hex_field(pk, "pk")).unwrap(),
        Kind::EcdsaDer | Kind::EcdsaP1363 => {
            let sec1 = hex_field(pk, "uncompressed");
            assert_eq!(sec1.len(), 65);
            PublicKey::p256_sec1(&sec1).unwrap()
        }
    };
    let from_pem = PublicKey::from_spki_pem(str_field(group, "publicKeyPem")).unwrap();
    assert_eq!(from_pem, key, "PEM and raw forms of the group key differ");
    let from_der = PublicKey::from_spki_der(&hex_field(group, "publicKeyDer")).unwrap();
    assert_eq!(from_der, key, "DER and raw forms of the group key differ");
    let expected = match kind {
        Kind::Ed25519 => Algorithm::Ed25519,
        Kind::EcdsaDer | Kind::EcdsaP1363 => Algorithm::Es256,
    };
    assert_eq!(key.algorithm(), expected);
    key
}

/// Parses and verifies one case; any refusal (parse or verify) is `Err`.
fn verify_case(
    provider: &CryptoProvider,
    kind: Kind,
    key: &PublicKey,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), VerifyError> {
    let sig = match kind {
        Kind::Ed25519 => Signature::new(Algorithm::Ed25519, sig)?,
        Kind::EcdsaDer => Signature::from_es256_der(sig)?,
        Kind::EcdsaP1363 => Signature::new(Algorithm::Es256, sig)?,
    };
    key.verify_with(provider, msg, &sig)
}

fn run(kind: Kind, file: &str, deviations: &[(u32, &str)]) -> Option<Totals> {
    let mut first: Option<Totals> = None;
    for (name, provider) in providers() {
        let t = run_with(name, &provider, kind, file, deviations)?;
        if let Some(f) = &first {
            assert_eq!(
                (f.valid_accepted, f.invalid_refused, f.high_s_accepted),
                (t.valid_accepted, t.invalid_refused, t.high_s_accepted),
                "{file}: provider {name} disagrees with the first provider"
            );
        }
        first.get_or_insert(t);
    }
    first
}

fn run_with(
    name: &str,
    provider: &CryptoProvider,
    kind: Kind,
    file: &str,
    deviations: &[(u32, &str)],
) -> Option<Totals> {
    let doc = vouch_test_support::vector_json("wycheproof", file)?;
    let groups = doc["testGroups"].as_array().unwrap();
    let mut totals = Totals::default();
    let mut unexpected = Vec::new();
    let mut seen_deviations = Vec::new();
    for group in groups {
        if kind != Kind::Ed25519 {
            assert_eq!(str_field(group, "sha"), "SHA-256");
        }
        let key = group_key(kind, group);
        for test in group["tests"].as_array().unwrap() {
            let tc_id = u32::try_from(test["tcId"].as_u64().unwrap()).unwrap();
            let result = str_field(test, "result");
            assert!(
                result == "valid" || result == "invalid",
                "{file} tcId {tc_id}: unexpected result {result:?}"
            );
            let expected = result == "valid";
            totals.expected_valid += usize::from(expected);
            let sig = hex_field(test, "sig");
            let outcome = verify_case(provider, kind, &key, &hex_field(test, "msg"), &sig);
            let verified = outcome.is_ok();
            if verified && kind != Kind::Ed25519 {
                let raw = match kind {
                    Kind::EcdsaDer => Signature::from_es256_der(&sig).unwrap().value().to_vec(),
                    _ => sig.clone(),
                };
                if raw[32..] > P256_HALF_ORDER[..] {
                    totals.high_s_accepted += 1;
                }
            }
            totals.tests += 1;
            let deviation = deviations.iter().find(|(id, _)| *id == tc_id);
            if verified == expected {
                assert!(
                    deviation.is_none(),
                    "{file} tcId {tc_id} is listed as a deviation but now agrees with Wycheproof"
                );
                if verified {
                    totals.valid_accepted += 1;
                } else {
                    totals.invalid_refused += 1;
                }
            } else if let Some((_, reason)) = deviation {
                totals.deviations += 1;
                seen_deviations.push(tc_id);
                eprintln!("{file} tcId {tc_id}: deliberate deviation: {reason}");
            } else {
                unexpected.push(format!(
                    "tcId {tc_id} ({}; flags {}): expected {result}, vouch said {outcome:?}",
                    str_field(test, "comment"),
                    test["flags"]
                ));
            }
        }
    }
    let expected_count = usize::try_from(doc["numberOfTests"].as_u64().unwrap()).unwrap();
    assert_eq!(totals.tests, expected_count, "{file}: numberOfTests");
    assert!(
        unexpected.is_empty(),
        "{file} [{name}]: {} case(s) disagree with Wycheproof:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    for (id, _) in deviations {
        assert!(
            seen_deviations.contains(id),
            "{file} tcId {id} is listed as a deviation but does not exist or agrees"
        );
    }
    println!(
        "{file} [{name}]: {} tests ({} valid), {} valid accepted ({} of them high-S ECDSA), {} invalid refused, {} deliberate deviations",
        totals.tests,
        totals.expected_valid,
        totals.valid_accepted,
        totals.high_s_accepted,
        totals.invalid_refused,
        totals.deviations
    );
    Some(totals)
}

#[test]
fn ed25519() {
    let Some(t) = run(Kind::Ed25519, "ed25519_test.json", ED25519_DEVIATIONS) else {
        return;
    };
    // SOURCE.md: 151 tests, 88 valid / 63 invalid.
    assert_eq!(t.tests, 151);
    assert_eq!(t.valid_accepted + t.invalid_refused + t.deviations, 151);
    assert_eq!(t.expected_valid, 88);
}

#[test]
fn ecdsa_p256_sha256_der() {
    let Some(t) = run(
        Kind::EcdsaDer,
        "ecdsa_secp256r1_sha256_test.json",
        ECDSA_DER_DEVIATIONS,
    ) else {
        return;
    };
    // SOURCE.md: 484 tests, 174 valid / 310 invalid.
    assert_eq!(t.tests, 484);
    assert_eq!(t.valid_accepted + t.invalid_refused + t.deviations, 484);
    assert_eq!(t.expected_valid, 174);
    // Valid high-S signatures are in the valid set and must verify.
    assert!(t.high_s_accepted > 0, "no high-S signature was accepted");
}

#[test]
fn ecdsa_p256_sha256_p1363() {
    let Some(t) = run(
        Kind::EcdsaP1363,
        "ecdsa_secp256r1_sha256_p1363_test.json",
        ECDSA_P1363_DEVIATIONS,
    ) else {
        return;
    };
    // SOURCE.md: 262 tests, 173 valid / 89 invalid.
    assert_eq!(t.tests, 262);
    assert_eq!(t.valid_accepted + t.invalid_refused + t.deviations, 262);
    assert_eq!(t.expected_valid, 173);
    assert!(t.high_s_accepted > 0, "no high-S signature was accepted");
}
