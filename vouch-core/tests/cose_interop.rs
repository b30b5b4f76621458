//! The Rust half of the COSE cross-implementation test with Python's pycose,
//! driven by `scripts/interop/cose_python.sh`.
//!
//! Only runs when `VOUCH_COSE_INTEROP_DIR` names an exchange folder, so that
//! `cargo test` alone stays hermetic. `VOUCH_COSE_INTEROP_PHASE` says what
//! to do there:
//!
//! - `sign`: write `vouch_keys.json` (per algorithm the public key as COSE
//!   key parameters `x` and, for P-256, `y`, in hex, and the vouch key id),
//!   `vouch_payload.bin`, and envelopes signed by vouch:
//!   `vouch_sign1_<alg>.cbor` (`COSE_Sign1`), `vouch_sign_<alg>.cbor`
//!   (`COSE_Sign`, one signature), `vouch_sign_multi.cbor` (`COSE_Sign`,
//!   three signatures: both Ed25519 keys and the P-256 key), and two
//!   tampered ones vouch refuses, `vouch_tampered_sign1.cbor` (a payload
//!   byte changed) and `vouch_tampered_sign.cbor` (a signature byte of the
//!   multi-signature envelope changed), for pycose to refuse too;
//! - `verify`: read what the Python side wrote (`python_keys.json`,
//!   `python_payload.bin`, `python_sign1_<alg>.cbor`,
//!   `python_sign_<alg>.cbor`, `python_sign_multi.cbor`, and the tampered
//!   `python_tampered_sign1.cbor`, `python_tampered_sign.cbor`, which pycose
//!   refused) and verify it.
//!
//! `<alg>` is `ed25519` or `p256` (ES256).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dsse_support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vouch_core::cose::{Sign, Sign1};
use vouch_core::{KeyId, PublicKey, Signer};

use dsse_support::{Ed25519, P256};

const ALGS: [&str; 2] = ["ed25519", "p256"];
const CONTENT_TYPE: &str = "application/vnd.vouch.interop+cbor";

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}

/// A payload that is not text, with every byte value.
fn vouch_payload() -> Vec<u8> {
    (0..=255u8)
        .chain(b"vouch interop".iter().copied())
        .collect()
}

/// The public key as COSE key parameters: `x` (Ed25519, or the P-256 x
/// coordinate) and `y`, in hex.
fn key_json(key: &PublicKey) -> Value {
    let point = key.point_bytes();
    let mut v = match point.len() {
        32 => json!({ "x": hex::encode(&point) }),
        65 => json!({ "x": hex::encode(&point[1..33]), "y": hex::encode(&point[33..]) }),
        n => panic!("unexpected point length {n}"),
    };
    v["kid"] = Value::String(hex::encode(key.key_id().as_bytes()));
    v
}

fn key_from_json(v: &Value) -> PublicKey {
    let x = hex::decode(v["x"].as_str().unwrap()).unwrap();
    let key = match v.get("y").and_then(Value::as_str) {
        None => PublicKey::ed25519(&x).unwrap(),
        Some(y) => {
            let sec1 = [&[0x04][..], &x, &hex::decode(y).unwrap()].concat();
            PublicKey::p256_sec1(&sec1).unwrap()
        }
    };
    // The Python side computes the vouch key id on its own; they must agree.
    assert_eq!(
        v["kid"].as_str().unwrap(),
        hex::encode(key.key_id().as_bytes()),
        "key id computed by the Python side"
    );
    key
}

/// Flips the last bit of the first occurrence of `needle`'s last byte
/// inside `needle` in `bytes`.
fn tamper(bytes: &[u8], needle: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in the envelope");
    let mut out = bytes.to_vec();
    out[at + needle.len() - 1] ^= 0x01;
    out
}

fn sign(dir: &Path) {
    let payload = vouch_payload();
    write(dir, "vouch_payload.bin", &payload);
    let ed = Ed25519::from_seed([0x6a; 32]);
    let ed2 = Ed25519::from_seed([0x6b; 32]);
    let p = P256::from_scalar(&[0x6c; 32]);
    let signers: [(&str, &dyn Signer); 2] = [("ed25519", &ed), ("p256", &p)];
    let mut keys = serde_json::Map::new();
    for (alg, signer) in signers {
        keys.insert(alg.to_owned(), key_json(signer.public_key()));
        let sign1 = Sign1::sign(signer, CONTENT_TYPE, &payload).unwrap();
        let bytes = sign1.to_bytes().unwrap();
        // Check our own output before handing it over.
        Sign1::from_bytes(&bytes)
            .unwrap()
            .verify(signer.public_key())
            .unwrap();
        write(dir, &format!("vouch_sign1_{alg}.cbor"), &bytes);
        if alg == "ed25519" {
            let tampered = tamper(&bytes, &payload);
            assert!(
                Sign1::from_bytes(&tampered)
                    .unwrap()
                    .verify(signer.public_key())
                    .is_err()
            );
            write(dir, "vouch_tampered_sign1.cbor", &tampered);
        }

        let mut env = Sign::new(CONTENT_TYPE, payload.clone()).unwrap();
        env.add_signature(signer).unwrap();
        let bytes = env.to_bytes().unwrap();
        let key = signer.public_key();
        Sign::from_bytes(&bytes)
            .unwrap()
            .verify(|k| (*k == key.key_id()).then_some(key))
            .unwrap();
        write(dir, &format!("vouch_sign_{alg}.cbor"), &bytes);
        println!("interop sign: wrote vouch_sign1_{alg}.cbor, vouch_sign_{alg}.cbor");
    }
    keys.insert("ed25519_2".to_owned(), key_json(ed2.public_key()));
    write(
        dir,
        "vouch_keys.json",
        serde_json::to_string_pretty(&keys).unwrap().as_bytes(),
    );

    let mut multi = Sign::new(CONTENT_TYPE, payload.clone()).unwrap();
    for signer in [&ed as &dyn Signer, &p, &ed2] {
        multi.add_signature(signer).unwrap();
    }
    let bytes = multi.to_bytes().unwrap();
    let all = [ed.public_key(), p.public_key(), ed2.public_key()];
    let lookup = |k: &KeyId| all.iter().copied().find(|key| key.key_id() == *k);
    let decoded = Sign::from_bytes(&bytes).unwrap();
    let verified = decoded.verify(lookup).unwrap();
    assert_eq!(verified.signers().len(), 3);
    write(dir, "vouch_sign_multi.cbor", &bytes);
    // The last signature is the last 64 bytes: change its last byte.
    let mut tampered = bytes.clone();
    *tampered.last_mut().unwrap() ^= 0x01;
    let decoded = Sign::from_bytes(&tampered).unwrap();
    let (ok, failed) = decoded.verify_each(lookup);
    assert_eq!(ok.unwrap().signers().len(), 2);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].index, 2);
    write(dir, "vouch_tampered_sign.cbor", &tampered);
    println!("interop sign: wrote vouch_sign_multi.cbor (3 signatures) and the tampered envelopes");
}

fn verify(dir: &Path) {
    let payload = read(dir, "python_payload.bin");
    let keys: Value = serde_json::from_slice(&read(dir, "python_keys.json")).unwrap();
    let keys: Vec<(String, PublicKey)> = keys
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, v)| (name.clone(), key_from_json(v)))
        .collect();
    let key = |name: &str| &keys.iter().find(|(n, _)| n == name).unwrap().1;
    let lookup = |k: &KeyId| {
        keys.iter()
            .map(|(_, key)| key)
            .find(|key| key.key_id() == *k)
    };

    for alg in ALGS {
        let sign1 = Sign1::from_bytes(&read(dir, &format!("python_sign1_{alg}.cbor"))).unwrap();
        // pycose puts the vouch key id in the protected header, as asked.
        assert_eq!(sign1.key_id(), Some(key(alg).key_id()), "{alg}");
        let verified = sign1.verify(key(alg)).unwrap();
        assert_eq!(*verified.value(), payload, "{alg}: payload bytes as signed");
        assert_eq!(verified.key_ids().collect::<Vec<_>>(), [key(alg).key_id()]);
        let other = if alg == "p256" { "ed25519" } else { "p256" };
        assert!(
            sign1.verify(key(other)).is_err(),
            "{alg} with the wrong key"
        );

        let env = Sign::from_bytes(&read(dir, &format!("python_sign_{alg}.cbor"))).unwrap();
        assert_eq!(env.signature_count(), 1);
        let verified = env.verify(lookup).unwrap();
        assert_eq!(*verified.value(), payload.as_slice());
        assert_eq!(verified.key_ids().collect::<Vec<_>>(), [key(alg).key_id()]);
        println!("interop verify: python_sign1_{alg}.cbor and python_sign_{alg}.cbor verified");
    }

    let env = Sign::from_bytes(&read(dir, "python_sign_multi.cbor")).unwrap();
    assert_eq!(env.content_type(), Some(CONTENT_TYPE));
    let verified = env.verify(lookup).unwrap();
    let mut ids: Vec<KeyId> = verified.key_ids().collect();
    ids.sort();
    let mut want: Vec<KeyId> = keys.iter().map(|(_, k)| k.key_id()).collect();
    want.sort();
    assert_eq!(
        ids, want,
        "every Python key signed the multi-signature envelope"
    );
    println!(
        "interop verify: python_sign_multi.cbor verified, {} signatures",
        ids.len()
    );

    // What pycose refused, vouch refuses.
    let tampered = Sign1::from_bytes(&read(dir, "python_tampered_sign1.cbor")).unwrap();
    assert!(tampered.verify(key("p256")).is_err());
    let tampered = Sign::from_bytes(&read(dir, "python_tampered_sign.cbor")).unwrap();
    let (ok, failed) = tampered.verify_each(lookup);
    assert!(ok.is_none(), "a changed body header breaks every signature");
    assert_eq!(failed.len(), keys.len());
    println!("interop verify: both tampered Python envelopes refused");
}

#[test]
fn cose_interop_with_pycose() {
    let Some(dir) = std::env::var_os("VOUCH_COSE_INTEROP_DIR").map(PathBuf::from) else {
        eprintln!(
            "SKIP: VOUCH_COSE_INTEROP_DIR is not set; scripts/interop/cose_python.sh runs this test"
        );
        return;
    };
    match std::env::var("VOUCH_COSE_INTEROP_PHASE").as_deref() {
        Ok("sign") => sign(&dir),
        Ok("verify") => verify(&dir),
        other => panic!("VOUCH_COSE_INTEROP_PHASE must be sign or verify, got {other:?}"),
    }
}
