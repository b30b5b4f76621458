//! Differential tests against Python implementations, case by case, on
//! generated inputs: vouch's `COSE_Sign1` and `COSE_Sign` verification
//! against pycose, and its DSSE verification against securesystemslib.
//!
//! Driven by `scripts/interop/differential_python.sh`, which sets up the
//! interop venv and runs this test with `VOUCH_INTEROP_PYTHON` naming its
//! Python; without that variable the tests print a skip notice, so that
//! `cargo test` alone stays hermetic (the script is what fails under
//! `CI=true` when the venv cannot be made). Each test generates its cases
//! from the seed (`tests/differential/mod.rs`: `VOUCH_DIFF_SEED`,
//! `VOUCH_DIFF_CASES`), computes vouch's verdicts, writes the cases to a
//! temporary folder, runs `scripts/interop/differential.py` on them for the
//! other side's verdicts, and compares them. Where the verdicts differ, the
//! case must carry a feature listed in `tests/differential/divergences.toml`
//! for the tool, with the same directions.
//!
//! The envelopes are built here from their parts (CBOR and JSON written by
//! hand), so a mutation can reach any field; a case's features are set by
//! the generator from what it built (alg only in the unprotected header, a
//! non-minimal length, a foreign key id, S ≥ ℓ, ...).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod differential;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use differential::keys::{self, Key, Kind};
use differential::{Outcome, Report, Rng};
use vouch_core::PublicKey;
use vouch_core::cose::{Sign, Sign1};
use vouch_core::dsse::Envelope;

/// The venv's Python, when the driver script set it.
fn python() -> Option<PathBuf> {
    let p = std::env::var_os("VOUCH_INTEROP_PYTHON").map(PathBuf::from);
    if p.is_none() {
        eprintln!(
            "SKIP: VOUCH_INTEROP_PYTHON is not set; scripts/interop/differential_python.sh runs this test"
        );
    }
    p
}

/// The other side's verdicts (and its error texts) for `cases`.
fn run_python(
    python: &PathBuf,
    mode: &str,
    cases: Vec<Value>,
) -> (BTreeMap<usize, Vec<bool>>, BTreeMap<usize, String>) {
    let dir = std::env::temp_dir().join(format!("vouch-diff-{mode}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("cases.json");
    let output = dir.join("verdicts.json");
    std::fs::write(&input, json!({ "cases": cases }).to_string()).unwrap();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/differential.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(mode)
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let verdicts = v["verdicts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, list)| {
            let list = list
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap());
            (id.parse().unwrap(), list.collect())
        })
        .collect();
    let errors = v["errors"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, e)| (id.parse().unwrap(), e.as_str().unwrap().to_owned()))
        .collect();
    (verdicts, errors)
}

/// A key as the Python side reads it: type, point, and vouch key id.
fn key_json(key: &Key) -> Value {
    let point = key.point();
    let mut v = match key.kind {
        Kind::Ed25519 => json!({ "kty": "ed25519", "x": hex::encode(&point) }),
        Kind::P256 => json!({
            "kty": "p256",
            "x": hex::encode(&point[1..33]),
            "y": hex::encode(&point[33..]),
        }),
    };
    v["kid"] = Value::String(hex::encode(key.key_id()));
    v
}

fn random_kind(rng: &mut Rng) -> Kind {
    if rng.chance(50) {
        Kind::Ed25519
    } else {
        Kind::P256
    }
}

/// The key type a mutation needs, if any.
fn kind_for(mutation: &str) -> Option<Kind> {
    if mutation.starts_with("ed25519-") || mutation == "alg-ed25519-fully-specified" {
        Some(Kind::Ed25519)
    } else if mutation.starts_with("ecdsa-") {
        Some(Kind::P256)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// CBOR, written by hand.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum C {
    Int(i64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<C>),
    Map(Vec<(C, C)>),
    Tag(u64, Box<C>),
    Nil,
    /// A byte string whose length head is one size longer than needed.
    BytesNonMinimal(Vec<u8>),
    /// An indefinite-length byte string, in two chunks.
    BytesIndefinite(Vec<u8>),
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn enc(c: &C) -> Vec<u8> {
    let mut out = Vec::new();
    enc_into(c, &mut out);
    out
}

fn enc_into(c: &C, out: &mut Vec<u8>) {
    match c {
        C::Int(i) if *i >= 0 => head(out, 0, *i as u64),
        C::Int(i) => head(out, 1, (-1 - *i) as u64),
        C::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        C::Text(t) => {
            head(out, 3, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        C::Array(items) => {
            head(out, 4, items.len() as u64);
            for i in items {
                enc_into(i, out);
            }
        }
        C::Map(entries) => {
            head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                enc_into(k, out);
                enc_into(v, out);
            }
        }
        C::Tag(t, inner) => {
            head(out, 6, *t);
            enc_into(inner, out);
        }
        C::Nil => out.push(0xf6),
        C::BytesNonMinimal(b) => {
            let n = b.len() as u64;
            match n {
                0..=23 => out.extend_from_slice(&[0x58, n as u8]),
                24..=0xff => {
                    out.push(0x59);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                }
                _ => {
                    out.push(0x5a);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
            }
            out.extend_from_slice(b);
        }
        C::BytesIndefinite(b) => {
            out.push(0x5f);
            let (a, z) = b.split_at(b.len() / 2);
            for chunk in [a, z] {
                head(out, 2, chunk.len() as u64);
                out.extend_from_slice(chunk);
            }
            out.push(0xff);
        }
    }
}

// ---------------------------------------------------------------------------
// COSE against pycose.
// ---------------------------------------------------------------------------

/// Every COSE mutation, applied round-robin, each once to a `COSE_Sign1`
/// and once to a `COSE_Sign` in turn.
const COSE_MUTATIONS: &[&str] = &[
    "valid",
    "valid-empty-payload",
    "valid-content-type",
    "flip-byte",
    "truncate",
    "trailing-bytes",
    "untagged",
    "wrong-tag",
    "self-describe-tag",
    "payload-changed",
    "signature-by-other-key",
    "flip-signature-bit",
    "signature-truncated",
    "alg-unprotected",
    "alg-both-buckets",
    "alg-mismatch",
    "alg-text",
    "alg-ed25519-fully-specified",
    "crit",
    "kid-foreign",
    "kid-unprotected",
    "header-duplicate-label",
    "protected-unsorted",
    "payload-length-non-minimal",
    "payload-indefinite",
    "detached-payload",
    "evidence-label-malformed",
    "ed25519-s-plus-l",
    "ed25519-small-order-key",
    "ecdsa-high-s",
    "ecdsa-der-signature",
    "no-signatures",
    "one-bad-signature",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CoseKind {
    Sign1,
    Sign,
}

struct CoseCase {
    mutation: &'static str,
    kind: CoseKind,
    cbor: Vec<u8>,
    keys: Vec<Key>,
    features: Vec<&'static str>,
}

const CONTENT_TYPE: &str = "application/vnd.vouch.test+cbor";

fn cose_alg(kind: Kind) -> i64 {
    match kind {
        Kind::Ed25519 => -8,
        Kind::P256 => -7,
    }
}

fn int(i: i64) -> C {
    C::Int(i)
}

/// One signer's headers and signature, before and after the mutation.
struct Signer {
    protected: Vec<(C, C)>,
    unprotected: Vec<(C, C)>,
    /// The protected header bytes, once encoded.
    protected_bytes: Vec<u8>,
    value: Vec<u8>,
}

fn generate_cose(rng: &mut Rng, mutation: &'static str, kind: CoseKind) -> CoseCase {
    let mut features = Vec::new();
    let count = match (kind, mutation) {
        (CoseKind::Sign1, _) => 1,
        (CoseKind::Sign, "one-bad-signature") => 2 + rng.below(2),
        (CoseKind::Sign, _) => 1 + rng.below(3),
    };
    let target = rng.below(count);
    let mut keys: Vec<Key> = (0..count)
        .map(|i| {
            let k = if i == target {
                kind_for(mutation).unwrap_or_else(|| random_kind(rng))
            } else {
                random_kind(rng)
            };
            Key::random(rng, k)
        })
        .collect();
    if mutation == "ed25519-small-order-key" {
        keys[target] = Key::small_order();
        features.push("ed25519-small-order-key");
    }
    let n = rng.len(600);
    let mut payload = if mutation == "valid-empty-payload" {
        Vec::new()
    } else {
        rng.bytes(n)
    };
    let with_ct = mutation == "valid-content-type" || mutation == "crit" || rng.chance(30);

    // Headers, per signer (for COSE_Sign1, the message's own).
    let mut signers: Vec<Signer> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let mut protected = vec![(int(1), int(cose_alg(key.kind)))];
            if kind == CoseKind::Sign1 && with_ct {
                protected.push((int(3), C::Text(CONTENT_TYPE.into())));
            }
            // A COSE_Sign signer is found by its protected kid; a
            // COSE_Sign1 may carry one.
            if kind == CoseKind::Sign || rng.chance(50) || mutation.starts_with("kid-") {
                protected.push((int(4), C::Bytes(key.key_id().to_vec())));
            }
            let mut unprotected = Vec::new();
            if i == target {
                mutate_headers(
                    rng,
                    mutation,
                    kind,
                    key,
                    &mut protected,
                    &mut unprotected,
                    &mut features,
                );
            }
            Signer {
                protected,
                unprotected,
                protected_bytes: Vec::new(),
                value: Vec::new(),
            }
        })
        .collect();
    let body_protected: Vec<u8> = if kind == CoseKind::Sign && with_ct {
        enc(&C::Map(vec![(int(3), C::Text(CONTENT_TYPE.into()))]))
    } else {
        Vec::new()
    };

    for (i, s) in signers.iter_mut().enumerate() {
        s.protected_bytes = if s.protected.is_empty() && rng.chance(50) {
            // An empty protected header as an encoded empty map.
            features.push("protected-empty-map");
            vec![0xa0]
        } else if s.protected.is_empty() {
            Vec::new()
        } else {
            enc(&C::Map(s.protected.clone()))
        };
        let tbs = match kind {
            CoseKind::Sign1 => enc(&C::Array(vec![
                C::Text("Signature1".into()),
                C::Bytes(s.protected_bytes.clone()),
                C::Bytes(Vec::new()),
                C::Bytes(payload.clone()),
            ])),
            CoseKind::Sign => enc(&C::Array(vec![
                C::Text("Signature".into()),
                C::Bytes(body_protected.clone()),
                C::Bytes(s.protected_bytes.clone()),
                C::Bytes(Vec::new()),
                C::Bytes(payload.clone()),
            ])),
        };
        let signing_key = if i == target && mutation == "signature-by-other-key" {
            Key::random(rng, keys[i].kind)
        } else {
            keys[i].clone()
        };
        let mut sig = signing_key.sign(&tbs);
        if i == target {
            match mutation {
                "ed25519-s-plus-l" => {
                    sig = keys::s_plus_l(&sig, 1).unwrap();
                    features.push("ed25519-s-not-reduced");
                }
                "ecdsa-high-s" => {
                    sig = keys::p256_negate_s(&sig);
                    features.push("ecdsa-high-s");
                }
                _ => {}
            }
        }
        s.value = sig.to_vec();
        if i == target {
            match mutation {
                "flip-signature-bit" | "one-bad-signature" => {
                    let at = rng.below(64);
                    s.value[at] ^= 1 << rng.below(8);
                }
                "signature-truncated" => {
                    s.value.pop();
                }
                "ecdsa-der-signature" => {
                    let der = p256::ecdsa::Signature::from_slice(&sig).unwrap().to_der();
                    s.value = der.as_bytes().to_vec();
                }
                _ => {}
            }
        }
    }

    if mutation == "payload-changed" {
        if payload.is_empty() || rng.chance(30) {
            payload.push(rng.next_u64() as u8);
        } else {
            let at = rng.below(payload.len());
            payload[at] ^= 1;
        }
    }
    let payload_item = match mutation {
        "detached-payload" => C::Nil,
        "payload-length-non-minimal" => {
            features.push(match kind {
                CoseKind::Sign => "sign-cbor-non-canonical",
                CoseKind::Sign1 => "cbor-non-canonical",
            });
            C::BytesNonMinimal(payload)
        }
        "payload-indefinite" => {
            features.push(match kind {
                CoseKind::Sign => "sign-cbor-non-canonical",
                CoseKind::Sign1 => "cbor-indefinite-length",
            });
            C::BytesIndefinite(payload)
        }
        _ => C::Bytes(payload),
    };
    let unprotected_map = |s: &Signer| C::Map(s.unprotected.clone());
    let (tag, body) = match kind {
        CoseKind::Sign1 => {
            let s = &signers[0];
            (
                18,
                C::Array(vec![
                    C::Bytes(s.protected_bytes.clone()),
                    unprotected_map(s),
                    payload_item,
                    C::Bytes(s.value.clone()),
                ]),
            )
        }
        CoseKind::Sign => {
            let sigs = if mutation == "no-signatures" {
                Vec::new()
            } else {
                signers
                    .iter()
                    .map(|s| {
                        C::Array(vec![
                            C::Bytes(s.protected_bytes.clone()),
                            unprotected_map(s),
                            C::Bytes(s.value.clone()),
                        ])
                    })
                    .collect()
            };
            (
                98,
                C::Array(vec![
                    C::Bytes(body_protected),
                    C::Map(Vec::new()),
                    payload_item,
                    C::Array(sigs),
                ]),
            )
        }
    };
    let item = match mutation {
        "untagged" => {
            features.push(match kind {
                CoseKind::Sign1 => "sign1-untagged",
                CoseKind::Sign => "sign-untagged",
            });
            body
        }
        "wrong-tag" => C::Tag(if tag == 18 { 98 } else { 18 }, Box::new(body)),
        "self-describe-tag" => {
            features.push("self-describe-tag");
            C::Tag(55799, Box::new(C::Tag(tag, Box::new(body))))
        }
        _ => C::Tag(tag, Box::new(body)),
    };
    let mut cbor = enc(&item);
    match mutation {
        "flip-byte" => {
            let at = rng.below(cbor.len());
            cbor[at] ^= 1 + rng.below(255) as u8;
        }
        "truncate" => cbor.truncate(rng.below(cbor.len())),
        "trailing-bytes" => {
            features.push("trailing-bytes");
            cbor.extend_from_slice(&rng.some_bytes(4));
        }
        _ => {}
    }
    CoseCase {
        mutation,
        kind,
        cbor,
        keys,
        features,
    }
}

/// The header mutations of the target signer, before it signs.
fn mutate_headers(
    rng: &mut Rng,
    mutation: &str,
    kind: CoseKind,
    key: &Key,
    protected: &mut Vec<(C, C)>,
    unprotected: &mut Vec<(C, C)>,
    features: &mut Vec<&'static str>,
) {
    let alg = int(cose_alg(key.kind));
    let is = |c: &C, l: i64| matches!(c, C::Int(i) if *i == l);
    match mutation {
        "alg-unprotected" => {
            protected.retain(|(l, _)| !is(l, 1));
            unprotected.push((int(1), alg));
            features.push("alg-unprotected");
        }
        "alg-both-buckets" => {
            unprotected.push((int(1), alg));
            features.push("alg-in-both-buckets");
        }
        "alg-mismatch" => {
            let other = match key.kind {
                Kind::Ed25519 => -7,
                Kind::P256 => -8,
            };
            protected[0].1 = int(other);
        }
        "alg-text" => {
            let name = match key.kind {
                Kind::Ed25519 => "EdDSA",
                Kind::P256 => "ES256",
            };
            protected[0].1 = C::Text(name.into());
            features.push("alg-text");
        }
        "alg-ed25519-fully-specified" => {
            protected[0].1 = int(-19);
            features.push("alg-ed25519-fully-specified");
        }
        "crit" => {
            // crit (2) naming the content type (3), in label order.
            protected.insert(1, (int(2), C::Array(vec![int(3)])));
            if !protected.iter().any(|(l, _)| is(l, 3)) {
                protected.insert(2, (int(3), C::Text(CONTENT_TYPE.into())));
            }
            features.push("crit");
        }
        "kid-foreign" => {
            let kid = match kind {
                CoseKind::Sign1 => {
                    features.push("sign1-kid-foreign");
                    rng.some_bytes(8)
                }
                // No key has this id: both sides find none.
                CoseKind::Sign => rng.bytes(32),
            };
            protected.retain(|(l, _)| !is(l, 4));
            protected.push((int(4), C::Bytes(kid)));
        }
        "kid-unprotected" => {
            protected.retain(|(l, _)| !is(l, 4));
            unprotected.push((int(4), C::Bytes(key.key_id().to_vec())));
            if kind == CoseKind::Sign {
                features.push("sign-kid-unprotected");
            }
        }
        "header-duplicate-label" => {
            protected.insert(1, (int(1), alg));
            features.push("header-duplicate-label");
        }
        "protected-unsorted" => protected.reverse(),
        "evidence-label-malformed" => {
            unprotected.push((
                int(vouch_core::cose::EVIDENCE_LABEL),
                C::Text("junk".into()),
            ));
            features.push("evidence-label-malformed");
        }
        _ => {}
    }
}

fn vouch_cose(case: &CoseCase) -> Vec<bool> {
    let keys: Vec<PublicKey> = case.keys.iter().filter_map(Key::vouch).collect();
    match case.kind {
        CoseKind::Sign1 => match Sign1::from_bytes(&case.cbor) {
            Err(_) => Vec::new(),
            Ok(msg) => vec![case.keys[0].vouch().is_some_and(|k| msg.verify(&k).is_ok())],
        },
        CoseKind::Sign => match Sign::from_bytes(&case.cbor) {
            Err(_) => Vec::new(),
            Ok(msg) => {
                let mut v = vec![true; msg.signature_count()];
                let (_, failed) = msg.verify_each(|kid| keys.iter().find(|k| k.key_id() == *kid));
                for f in failed {
                    v[f.index] = false;
                }
                v
            }
        },
    }
}

#[test]
fn cose_against_pycose() {
    let Some(python) = python() else { return };
    let default = 12 * COSE_MUTATIONS.len();
    let (seed, n, all_seen) = differential::seed_and_cases("cose vs pycose", default);
    let mut rng = Rng::new(seed, "cose");
    let cases: Vec<CoseCase> = (0..n)
        .map(|i| {
            let m = COSE_MUTATIONS[i % COSE_MUTATIONS.len()];
            // Each mutation in turn on both structures; the multi-signature
            // ones on COSE_Sign only.
            let kind = if (i / COSE_MUTATIONS.len()).is_multiple_of(2)
                && !matches!(m, "no-signatures" | "one-bad-signature")
            {
                CoseKind::Sign1
            } else {
                CoseKind::Sign
            };
            generate_cose(&mut rng, m, kind)
        })
        .collect();
    let json_cases = cases
        .iter()
        .enumerate()
        .map(|(id, c)| {
            json!({
                "id": id,
                "kind": if c.kind == CoseKind::Sign1 { "sign1" } else { "sign" },
                "cbor": hex::encode(&c.cbor),
                "keys": c.keys.iter().map(key_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (theirs, errors) = run_python(&python, "cose", json_cases);
    let mut report = Report::new("cose vs pycose", "pycose", seed, all_seen);
    for (id, case) in cases.iter().enumerate() {
        let features: Vec<String> = case.features.iter().map(|f| (*f).to_owned()).collect();
        let label = format!(
            "{}/{}",
            if case.kind == CoseKind::Sign1 {
                "sign1"
            } else {
                "sign"
            },
            case.mutation
        );
        report.record(
            id,
            &label,
            &features,
            Outcome {
                vouch: vouch_cose(case),
                other: theirs[&id].clone(),
            },
            || {
                format!(
                    "  keys {:?}\n  cbor {}\n  pycose said: {}",
                    case.keys.iter().map(key_json).collect::<Vec<_>>(),
                    hex::encode(&case.cbor),
                    errors.get(&id).map_or("-", String::as_str)
                )
            },
        );
    }
    report.finish();
}

// ---------------------------------------------------------------------------
// DSSE against securesystemslib.
// ---------------------------------------------------------------------------

/// Every DSSE mutation, applied round-robin.
const DSSE_MUTATIONS: &[&str] = &[
    "valid",
    "valid-multi",
    "valid-pretty",
    "valid-reordered",
    "valid-extra-field",
    "valid-unicode-type",
    "valid-escaped-type",
    "flip-char",
    "truncate",
    "trailing-garbage",
    "payload-changed",
    "payload-type-changed",
    "signature-by-other-key",
    "flip-signature-bit",
    "keyid-absent",
    "keyid-empty",
    "keyid-foreign",
    "duplicate-keyid",
    "ecdsa-raw-signature",
    "ecdsa-high-s",
    "ecdsa-der-non-minimal",
    "ed25519-s-plus-l",
    "ed25519-small-order-key",
    "base64-url-safe",
    "base64-unpadded",
    "base64-newline",
    "json-duplicate-payload",
    "json-bom",
    "json-utf16",
    "signatures-empty",
    "sig-not-base64",
];

struct DsseCase {
    mutation: &'static str,
    json: Vec<u8>,
    key: Key,
    /// The keyid securesystemslib's key carries: vouch's key id, in hex.
    keyid: String,
    features: Vec<&'static str>,
}

/// DSSE's pre-authentication encoding, computed here.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// ASN.1 DER of an ECDSA signature; `pad` puts one needless zero byte in
/// front of r.
fn ecdsa_der(sig: &[u8; 64], pad: bool) -> Vec<u8> {
    let integer = |x: &[u8], pad: bool| {
        let mut v: Vec<u8> = x.iter().copied().skip_while(|&b| b == 0).collect();
        if v.is_empty() || v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        if pad {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend_from_slice(&v);
        out
    };
    let body = [integer(&sig[..32], pad), integer(&sig[32..], false)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend_from_slice(&body);
    out
}

/// A JSON string, escaped; `ascii` writes every non-ASCII character as
/// `\uXXXX` (surrogate pairs beyond the BMP).
fn json_string(s: &str, ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ascii && !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn generate_dsse(rng: &mut Rng, mutation: &'static str) -> DsseCase {
    let mut features = Vec::new();
    let kind = kind_for(mutation).unwrap_or_else(|| random_kind(rng));
    let key = if mutation == "ed25519-small-order-key" {
        features.push("ed25519-small-order-key");
        Key::small_order()
    } else {
        Key::random(rng, kind)
    };
    let keyid = hex::encode(key.key_id());
    let payload_type = match mutation {
        "valid-unicode-type" | "valid-escaped-type" => {
            "application/vnd.vouch-é+json;q=🔑".to_owned()
        }
        _ => rng
            .pick(&[
                "application/vnd.in-toto+json",
                "application/vnd.vouch.statement+cbor",
                "text/plain",
                "",
            ])
            .to_string(),
    };
    let n = rng.len(800);
    let mut payload = rng.bytes(n);

    // (keyid field, signature bytes), the verifying key's first.
    let mut sigs: Vec<(Option<String>, Vec<u8>)> = Vec::new();
    let signed = pae(&payload_type, &payload);
    let signer = if mutation == "signature-by-other-key" {
        Key::random(rng, kind)
    } else {
        key.clone()
    };
    let mut raw = signer.sign(&signed);
    match mutation {
        "ed25519-s-plus-l" => {
            raw = keys::s_plus_l(&raw, 1).unwrap();
            features.push("ed25519-s-not-reduced");
        }
        "ecdsa-high-s" => {
            raw = keys::p256_negate_s(&raw);
            features.push("ecdsa-high-s");
        }
        _ => {}
    }
    let mut value = match kind {
        Kind::Ed25519 => raw.to_vec(),
        Kind::P256 => match mutation {
            "ecdsa-raw-signature" => {
                features.push("ecdsa-raw-signature");
                raw.to_vec()
            }
            "ecdsa-der-non-minimal" => {
                features.push("ecdsa-der-non-minimal");
                ecdsa_der(&raw, true)
            }
            _ => ecdsa_der(&raw, false),
        },
    };
    if mutation == "flip-signature-bit" {
        let at = rng.below(value.len());
        value[at] ^= 1 << rng.below(8);
    }
    let keyid_field = match mutation {
        "keyid-absent" => {
            features.push("keyid-absent");
            None
        }
        "keyid-empty" => {
            features.push("keyid-foreign");
            Some(String::new())
        }
        "keyid-foreign" => {
            features.push("keyid-foreign");
            Some(hex::encode(rng.bytes(32)))
        }
        _ => Some(keyid.clone()),
    };
    sigs.push((keyid_field, value));
    match mutation {
        "valid-multi" => {
            for _ in 0..1 + rng.below(2) {
                let k = random_kind(rng);
                let other = Key::random(rng, k);
                let raw = other.sign(&signed);
                let v = match other.kind {
                    Kind::Ed25519 => raw.to_vec(),
                    Kind::P256 => ecdsa_der(&raw, false),
                };
                sigs.push((Some(hex::encode(other.key_id())), v));
            }
            let n = sigs.len();
            sigs.swap(0, rng.below(n));
        }
        "duplicate-keyid" => {
            // A second signature under the same keyid that does not verify.
            features.push("duplicate-keyid");
            let junk = rng.bytes(64);
            sigs.insert(rng.below(2), (Some(keyid.clone()), junk));
        }
        "signatures-empty" => sigs.clear(),
        _ => {}
    }

    if mutation == "payload-changed" {
        if payload.is_empty() {
            payload.push(b'x');
        } else {
            let at = rng.below(payload.len());
            payload[at] ^= 1;
        }
    }
    let payload_type = if mutation == "payload-type-changed" {
        format!("{payload_type}x")
    } else {
        payload_type
    };

    let b64 = |bytes: &[u8], features: &mut Vec<&'static str>| -> String {
        match mutation {
            "base64-url-safe" => {
                features.push("base64-url-safe");
                URL_SAFE.encode(bytes)
            }
            "base64-unpadded" => {
                if !bytes.len().is_multiple_of(3) {
                    features.push("base64-unpadded");
                }
                STANDARD_NO_PAD.encode(bytes)
            }
            "base64-newline" => {
                features.push("base64-whitespace");
                let mut s = STANDARD.encode(bytes);
                s.insert_str(s.len() / 2, "\\n");
                s
            }
            _ => STANDARD.encode(bytes),
        }
    };
    let payload_b64 = b64(&payload, &mut features);
    let sig_entries: Vec<String> = sigs
        .iter()
        .map(|(kid, sig)| {
            let sig_text = if mutation == "sig-not-base64" {
                "not base64!".to_owned()
            } else {
                b64(sig, &mut features)
            };
            match kid {
                None => format!("{{\"sig\":\"{sig_text}\"}}"),
                Some(k) => format!(
                    "{{\"keyid\":{},\"sig\":\"{sig_text}\"}}",
                    json_string(k, false)
                ),
            }
        })
        .collect();
    let mut fields = vec![
        format!("\"payload\":\"{payload_b64}\""),
        format!(
            "\"payloadType\":{}",
            json_string(&payload_type, mutation == "valid-escaped-type")
        ),
        format!("\"signatures\":[{}]", sig_entries.join(",")),
    ];
    match mutation {
        "valid-reordered" => {
            fields.reverse();
            let n = fields.len();
            fields.swap(0, rng.below(n));
        }
        "valid-extra-field" => fields.insert(
            rng.below(4),
            "\"comment\":{\"note\":[1,2,{\"x\":null}]}".to_owned(),
        ),
        "json-duplicate-payload" => {
            // A first payload that the second one overrides.
            features.push("json-duplicate-field");
            fields.insert(0, format!("\"payload\":\"{}\"", STANDARD.encode(b"decoy")));
        }
        _ => {}
    }
    let text = if mutation == "valid-pretty" {
        format!("{{\n  {}\n}}\n", fields.join(",\n  "))
    } else {
        format!("{{{}}}", fields.join(","))
    };
    let mut json = text.into_bytes();
    match mutation {
        "flip-char" => {
            let at = rng.below(json.len());
            json[at] ^= 1 << rng.below(7);
        }
        "truncate" => json.truncate(rng.below(json.len())),
        "trailing-garbage" => json.extend_from_slice(b" x"),
        "json-bom" => {
            features.push("json-bom");
            json.splice(0..0, [0xef, 0xbb, 0xbf]);
        }
        "json-utf16" => {
            features.push("json-utf16");
            let text = String::from_utf8(json).unwrap();
            json = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        }
        _ => {}
    }
    dsse_features(&json, &keyid, key.kind, &mut features);
    features.sort_unstable();
    features.dedup();
    DsseCase {
        mutation,
        json,
        key,
        keyid,
        features,
    }
}

/// Features read back from the envelope's bytes (as far as it parses as
/// JSON), for what a random mutation may have produced: a flipped
/// character can turn a keyid into a foreign one, or drop padding.
fn dsse_features(json: &[u8], keyid: &str, key: Kind, f: &mut Vec<&'static str>) {
    let Ok(v) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let b64 = |s: &str, f: &mut Vec<&'static str>| {
        if !s.len().is_multiple_of(4) && !s.contains('=') {
            f.push("base64-unpadded");
        }
    };
    if let Some(p) = v.get("payload").and_then(Value::as_str) {
        b64(p, f);
    }
    let mut seen = Vec::new();
    for sig in v
        .get("signatures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match sig.get("keyid") {
            None => f.push("keyid-absent"),
            Some(k) if k.as_str() != Some(keyid) => f.push("keyid-foreign"),
            Some(_) => {}
        }
        if let Some(k) = sig.get("keyid") {
            if seen.contains(&k) {
                f.push("duplicate-keyid");
            }
            seen.push(k);
        }
        if let Some(s) = sig.get("sig").and_then(Value::as_str) {
            b64(s, f);
            let url = s.trim_end_matches('=').replace('+', "-").replace('/', "_");
            let raw = URL_SAFE_NO_PAD.decode(url).unwrap_or_default();
            if key == Kind::P256 && raw.len() == 64 {
                f.push("ecdsa-raw-signature");
            }
        }
    }
}

fn vouch_dsse(case: &DsseCase) -> Vec<bool> {
    let Some(key) = case.key.vouch() else {
        return vec![false];
    };
    vec![
        Envelope::from_json(&case.json)
            .and_then(|e| e.verify(&key))
            .is_ok(),
    ]
}

#[test]
fn dsse_against_securesystemslib() {
    let Some(python) = python() else { return };
    let default = 12 * DSSE_MUTATIONS.len();
    let (seed, n, all_seen) = differential::seed_and_cases("dsse vs securesystemslib", default);
    let mut rng = Rng::new(seed, "dsse");
    let cases: Vec<DsseCase> = (0..n)
        .map(|i| generate_dsse(&mut rng, DSSE_MUTATIONS[i % DSSE_MUTATIONS.len()]))
        .collect();
    let json_cases = cases
        .iter()
        .enumerate()
        .map(|(id, c)| {
            let mut key = key_json(&c.key);
            key["keyid"] = Value::String(c.keyid.clone());
            json!({ "id": id, "json": STANDARD.encode(&c.json), "key": key })
        })
        .collect();
    let (theirs, errors) = run_python(&python, "dsse", json_cases);
    let mut report = Report::new(
        "dsse vs securesystemslib",
        "securesystemslib",
        seed,
        all_seen,
    );
    for (id, case) in cases.iter().enumerate() {
        let features: Vec<String> = case.features.iter().map(|f| (*f).to_owned()).collect();
        report.record(
            id,
            case.mutation,
            &features,
            Outcome {
                vouch: vouch_dsse(case),
                other: theirs[&id].clone(),
            },
            || {
                format!(
                    "  key {}\n  envelope {}\n  securesystemslib said: {}",
                    key_json(&case.key),
                    String::from_utf8_lossy(&case.json).escape_debug(),
                    errors.get(&id).map_or("-", String::as_str)
                )
            },
        );
    }
    report.finish();
}
