//! The Rust half of the DSSE cross-implementation test with Python's
//! securesystemslib, driven by `scripts/interop/dsse_python.sh`.
//!
//! Only runs when `VOUCH_DSSE_INTEROP_DIR` names an exchange folder, so that
//! `cargo test` alone stays hermetic. `VOUCH_DSSE_INTEROP_PHASE` says what
//! to do there:
//!
//! - `sign`: write `vouch_<alg>.pub.pem` (SubjectPublicKeyInfo),
//!   `vouch_<alg>.dsse.json` (an in-toto statement signed by vouch) and
//!   `vouch_payload.json` (the exact payload bytes), for `ed25519` and `p256`;
//! - `verify`: read what the Python side wrote (`python_<alg>.pub.pem`,
//!   `python_<alg>.dsse.json`, `python_multi.dsse.json` signed by both keys,
//!   `python_payload.json`) and verify it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dsse_support;

use std::path::{Path, PathBuf};

use vouch_core::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_core::{PublicKey, Signer};

use dsse_support::{Ed25519, P256};

const ALGS: [&str; 2] = ["ed25519", "p256"];

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}

/// A pretty-printed statement with non-ASCII text: the bytes must survive
/// exactly, whitespace and all.
fn vouch_payload() -> Vec<u8> {
    concat!(
        "{\n",
        "  \"_type\": \"https://in-toto.io/Statement/v1\",\n",
        "  \"subject\": [{\"name\": \"vouch-é.tar.gz\", \"digest\": {\"sha256\": ",
        "\"a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf\"}}],\n",
        "  \"predicateType\": \"https://vouch.invalid/interop/v1\",\n",
        "  \"predicate\": {\"signed_by\": \"vouch\"}\n",
        "}\n"
    )
    .as_bytes()
    .to_vec()
}

fn sign(dir: &Path) {
    let payload = vouch_payload();
    write(dir, "vouch_payload.json", &payload);
    let signers: [(&str, Box<dyn Signer>); 2] = [
        ("ed25519", Box::new(Ed25519::from_seed([0x5a; 32]))),
        ("p256", Box::new(P256::from_scalar(&[0x5b; 32]))),
    ];
    for (alg, signer) in &signers {
        let env = Envelope::sign(signer, IN_TOTO_PAYLOAD_TYPE, payload.clone()).unwrap();
        // Check our own output before handing it over.
        env.verify(signer.public_key()).unwrap();
        write(
            dir,
            &format!("vouch_{alg}.dsse.json"),
            env.to_json().as_bytes(),
        );
        let pem = signer.public_key().to_spki_pem().unwrap();
        write(dir, &format!("vouch_{alg}.pub.pem"), pem.as_bytes());
        println!(
            "interop sign: wrote vouch_{alg}.dsse.json, key {}",
            signer.key_id()
        );
    }
}

fn verify(dir: &Path) {
    let payload = read(dir, "python_payload.json");
    let keys: Vec<PublicKey> = ALGS
        .iter()
        .map(|alg| {
            let pem = read(dir, &format!("python_{alg}.pub.pem"));
            PublicKey::from_spki_pem(std::str::from_utf8(&pem).unwrap()).unwrap()
        })
        .collect();
    for (alg, key) in ALGS.iter().zip(&keys) {
        let env = Envelope::from_json(&read(dir, &format!("python_{alg}.dsse.json"))).unwrap();
        let verified = env.verify_typed(key, IN_TOTO_PAYLOAD_TYPE).unwrap();
        assert_eq!(*verified.value(), payload, "{alg}: payload bytes as signed");
        assert_eq!(verified.key_ids().collect::<Vec<_>>(), [key.key_id()]);
        // securesystemslib writes its own key ids (never vouch's) and DER for ECDSA.
        let keyid = env.signatures()[0].keyid().unwrap();
        assert_ne!(keyid, key.key_id().to_string());
        if *alg == "p256" {
            assert_eq!(env.signatures()[0].sig()[0], 0x30, "ECDSA as DER");
        }
        // The other key does not verify it.
        let other = keys.iter().find(|k| *k != key).unwrap();
        assert!(env.verify(other).is_err(), "{alg} with the wrong key");
        println!(
            "interop verify: python_{alg}.dsse.json verified with key {}",
            key.key_id()
        );
    }
    // Two signatures whose hints mean nothing to vouch: offer every key.
    let env = Envelope::from_json(&read(dir, "python_multi.dsse.json")).unwrap();
    let (ok, failed) = env.verify_each(|_| keys.iter());
    assert!(failed.is_empty(), "{failed:?}");
    let mut ids: Vec<_> = ok.iter().flat_map(|p| p.key_ids()).collect();
    ids.sort();
    let mut want: Vec<_> = keys.iter().map(PublicKey::key_id).collect();
    want.sort();
    assert_eq!(ids, want);
    assert!(ok.iter().all(|p| **p.value() == *payload));
    println!("interop verify: python_multi.dsse.json verified with both keys");
}

#[test]
fn dsse_interop_with_securesystemslib() {
    let Some(dir) = std::env::var_os("VOUCH_DSSE_INTEROP_DIR").map(PathBuf::from) else {
        eprintln!(
            "SKIP: VOUCH_DSSE_INTEROP_DIR is not set; scripts/interop/dsse_python.sh runs this test"
        );
        return;
    };
    match std::env::var("VOUCH_DSSE_INTEROP_PHASE").as_deref() {
        Ok("sign") => sign(&dir),
        Ok("verify") => verify(&dir),
        other => panic!("VOUCH_DSSE_INTEROP_PHASE must be sign or verify, got {other:?}"),
    }
}
