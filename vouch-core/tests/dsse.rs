//! DSSE envelopes: the specification's vector, real Sigstore DSSE bundles,
//! in-toto statements, parsing rules, limits and property tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dsse_support;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Value, json};
use vouch_core::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE, Limits, pae};
use vouch_core::{
    Algorithm, AuthenticatorFlags, Digest, Evidence, FidoAssertion, KeyId, PublicKey, SignError,
    Signature, Signer, VerifyError,
};
use vouch_test_support::{vector, vector_json};

use dsse_support::{Ed25519, P256, test_signers};

const HELLO_TYPE: &str = "http://example.com/HelloWorld";

fn read(set: &str, file: &str) -> Option<Vec<u8>> {
    vector(set, file).map(|p| std::fs::read(p).unwrap())
}

fn spec_key() -> Option<PublicKey> {
    let pem = read("dsse-spec", "hello_world.pub.pem")?;
    Some(PublicKey::from_spki_pem(std::str::from_utf8(&pem).unwrap()).unwrap())
}

/// Rebuilds an envelope's JSON after `edit` changed its decoded fields.
fn edited(json: &[u8], edit: impl FnOnce(&mut Vec<u8>, &mut String, &mut Vec<Vec<u8>>)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(json).unwrap();
    let mut payload = STANDARD.decode(v["payload"].as_str().unwrap()).unwrap();
    let mut payload_type = v["payloadType"].as_str().unwrap().to_owned();
    let mut sigs: Vec<Vec<u8>> = v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| STANDARD.decode(s["sig"].as_str().unwrap()).unwrap())
        .collect();
    edit(&mut payload, &mut payload_type, &mut sigs);
    v["payload"] = json!(STANDARD.encode(&payload));
    v["payloadType"] = json!(payload_type);
    for (s, sig) in v["signatures"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(&sigs)
    {
        s["sig"] = json!(STANDARD.encode(sig));
    }
    serde_json::to_vec(&v).unwrap()
}

// ---- the DSSE specification's vector ----

#[test]
fn pae_matches_the_spec_vector_byte_for_byte() {
    let expected = b"DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    assert_eq!(pae(HELLO_TYPE, b"hello world"), expected);
    let Some(file) = read("dsse-spec", "hello_world.pae.bin") else {
        return;
    };
    assert_eq!(file, expected);
    let v = vector_json("dsse-spec", "hello_world.vector.json").unwrap();
    assert_eq!(
        hex::encode(pae(HELLO_TYPE, b"hello world")),
        v["pae_hex"].as_str().unwrap()
    );
}

#[test]
fn spec_envelopes_verify_with_the_spec_key() {
    let Some(key) = spec_key() else { return };
    for (file, hint) in [
        ("hello_world.envelope.json", None),
        ("hello_world.envelope_keyid.json", Some("66301bbf")),
    ] {
        let json = read("dsse-spec", file).unwrap();
        let env = Envelope::from_json(&json).unwrap();
        assert_eq!(env.payload_type(), HELLO_TYPE);
        assert_eq!(env.signatures().len(), 1);
        assert_eq!(env.signatures()[0].keyid(), hint);
        // The spec writes the raw 64-byte r || s form.
        assert_eq!(env.signatures()[0].sig().len(), 64);
        let verified = env.verify(&key).unwrap();
        assert_eq!(verified.value(), b"hello world");
        assert_eq!(verified.key_ids().collect::<Vec<_>>(), [key.key_id()]);
        let verified = env.verify_typed(&key, HELLO_TYPE).unwrap();
        assert_eq!(verified.value(), b"hello world");
        // The hint "66301bbf" means nothing to vouch; the lookup may ignore it.
        let (ok, failed) = env.verify_each(|_| Some(&key));
        assert_eq!((ok.len(), failed.len()), (1, 0));
        assert_eq!(*ok[0].value(), b"hello world");
    }
}

#[test]
fn spec_envelope_fails_when_any_byte_is_flipped() {
    let Some(key) = spec_key() else { return };
    let json = read("dsse-spec", "hello_world.envelope.json").unwrap();
    let (payload_len, type_len) = (11, HELLO_TYPE.len());
    for i in 0..payload_len {
        let bad = edited(&json, |p, _, _| p[i] ^= 0x01);
        assert!(
            Envelope::from_json(&bad).unwrap().verify(&key).is_err(),
            "payload byte {i}"
        );
    }
    for i in 0..type_len {
        let bad = edited(&json, |_, t, _| {
            let mut b = std::mem::take(t).into_bytes();
            b[i] ^= 0x01; // ASCII stays ASCII, so the type stays a string.
            *t = String::from_utf8(b).unwrap();
        });
        assert!(
            Envelope::from_json(&bad).unwrap().verify(&key).is_err(),
            "type byte {i}"
        );
    }
    for i in 0..64 {
        for bit in [0x01u8, 0x80] {
            let bad = edited(&json, |_, _, s| s[0][i] ^= bit);
            let err = Envelope::from_json(&bad).unwrap().verify(&key).unwrap_err();
            assert!(
                matches!(err, DsseError::NoValidSignature { .. }),
                "sig byte {i}: {err}"
            );
        }
    }
    // Appending to the payload or truncating the signature fails as well.
    let bad = edited(&json, |p, _, _| p.push(b'!'));
    assert!(Envelope::from_json(&bad).unwrap().verify(&key).is_err());
    let bad = edited(&json, |_, _, s| s[0].truncate(63));
    assert!(Envelope::from_json(&bad).unwrap().verify(&key).is_err());
}

#[test]
fn spec_signature_is_reproduced_by_rfc6979() {
    let Some(v) = vector_json("dsse-spec", "hello_world.vector.json") else {
        return;
    };
    let d = hex::decode(v["key"]["d_hex"].as_str().unwrap()).unwrap();
    let expected = v["signature_hex"].as_str().unwrap();
    assert_eq!(
        STANDARD
            .decode(v["signature_b64"].as_str().unwrap())
            .unwrap(),
        hex::decode(expected).unwrap()
    );
    // p256's `Signer` hashes the message with SHA-256 and takes k from
    // RFC 6979, so signing the PAE must give the spec's exact bytes.
    let sk = p256::ecdsa::SigningKey::from_slice(&d).unwrap();
    let sig: p256::ecdsa::Signature =
        p256::ecdsa::signature::Signer::sign(&sk, &pae(HELLO_TYPE, b"hello world"));
    assert_eq!(hex::encode(sig.to_bytes()), expected);

    // vouch's own signing path signs the same PAE; it writes DER, which
    // carries the same (r, s). The spec's s is high: keep it as it is.
    let signer = P256::from_scalar(&d).high_s_allowed();
    assert_eq!(Some(signer.public_key().clone()), spec_key());
    let env = Envelope::sign(&signer, HELLO_TYPE, &b"hello world"[..]).unwrap();
    let der = env.signatures()[0].sig();
    assert_eq!(der[0], 0x30);
    let raw = Signature::from_es256_der(der).unwrap();
    assert_eq!(hex::encode(raw.value()), expected);
    assert_eq!(
        env.signatures()[0].keyid(),
        Some(signer.key_id().to_string().as_str())
    );
    env.verify(signer.public_key()).unwrap();
}

// ---- real DSSE envelopes from Sigstore ----

/// Reads one DER TLV: returns (tag, whole TLV, content).
fn der_tlv(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let (len, header) = match input[1] {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => (usize::from(input[2]), 3),
        0x82 => (usize::from(u16::from_be_bytes([input[2], input[3]])), 4),
        n => panic!("DER length form {n:#x} not expected in a certificate"),
    };
    (tag, &input[..header + len], &input[header..header + len])
}

/// The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1), found
/// by walking the DER: Certificate → tbsCertificate → skip version,
/// serialNumber, signature, issuer, validity, subject → subjectPublicKeyInfo.
fn spki_of_certificate(cert: &[u8]) -> &[u8] {
    let (tag, _, cert_body) = der_tlv(cert);
    assert_eq!(tag, 0x30);
    let (tag, _, mut tbs) = der_tlv(cert_body);
    assert_eq!(tag, 0x30);
    if tbs[0] == 0xa0 {
        tbs = &tbs[der_tlv(tbs).1.len()..];
    }
    for _ in 0..5 {
        tbs = &tbs[der_tlv(tbs).1.len()..];
    }
    let (tag, spki, _) = der_tlv(tbs);
    assert_eq!(tag, 0x30);
    spki
}

#[test]
fn sigstore_conformance_dsse_bundles() {
    let Some(expected) = vector_json("sigstore-conformance-dsse", "expected.json") else {
        return;
    };
    let mut checked = 0;
    for (case, want) in expected.as_object().unwrap() {
        if want["kind"] != "dsseEnvelope" {
            continue;
        }
        let bundle = vector_json(
            "sigstore-conformance-dsse",
            &format!("{case}/bundle.sigstore.json"),
        )
        .unwrap();
        let material = &bundle["verificationMaterial"];
        let cert_b64 = material["certificate"]["rawBytes"]
            .as_str()
            .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
            .unwrap();
        let cert = STANDARD.decode(cert_b64).unwrap();
        let key = PublicKey::from_spki_der(spki_of_certificate(&cert)).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Es256, "{case}");

        // Through the standalone reader and through serde, embedded.
        let env_json = serde_json::to_vec(&bundle["dsseEnvelope"]).unwrap();
        let env = Envelope::from_json(&env_json).unwrap();
        let embedded: Envelope = serde_json::from_value(bundle["dsseEnvelope"].clone()).unwrap();
        assert_eq!(env, embedded, "{case}");
        assert_eq!(env.payload_type(), IN_TOTO_PAYLOAD_TYPE, "{case}");
        assert_eq!(env.signatures()[0].keyid(), None, "{case}");
        assert_eq!(env.signatures()[0].sig()[0], 0x30, "{case}: DER");

        let valid = want["dsse_signature_valid_with_leaf_cert_key"]
            .as_bool()
            .unwrap();
        let result = env.verify_typed(&key, IN_TOTO_PAYLOAD_TYPE);
        assert_eq!(result.is_ok(), valid, "{case}: {result:?}");
        let (ok, failed) = env.verify_each(|hint| {
            assert_eq!(hint, None);
            Some(&key)
        });
        assert_eq!(
            (ok.len(), failed.len()),
            (usize::from(valid), usize::from(!valid)),
            "{case}"
        );

        // The statement (parsed from the payload bytes as signed) names the artifact.
        let statement: Value = serde_json::from_slice(env.unverified_payload()).unwrap();
        assert_eq!(statement["_type"], want["statement_type"], "{case}");
        assert_eq!(statement["predicateType"], want["predicateType"], "{case}");
        assert_eq!(statement["subject"], want["subject"], "{case}");
        let artifact = read(
            "sigstore-conformance-dsse",
            &format!("{case}/{}", want["artifact_file"].as_str().unwrap()),
        )
        .unwrap();
        assert_eq!(
            statement["subject"][0]["digest"]["sha256"]
                .as_str()
                .unwrap(),
            Digest::sha256(&artifact).hex(),
            "{case}"
        );
        checked += 1;
    }
    assert_eq!(checked, 7);
}

// ---- in-toto statements ----

#[test]
fn in_toto_statements_round_trip_exactly() {
    for file in [
        "actions-buildtypes-workflow-v1.example.json",
        "slsa-github-actions-buildtypes-workflow-v1.example.json",
    ] {
        let Some(bytes) = read("in-toto-statements", file) else {
            return;
        };
        for (name, signer) in test_signers() {
            let env = Envelope::sign(&signer, IN_TOTO_PAYLOAD_TYPE, bytes.clone()).unwrap();
            let json = env.to_json();
            let back = Envelope::from_json(json.as_bytes()).unwrap();
            assert_eq!(back, env, "{file} {name}");
            let verified = back
                .verify_typed(signer.public_key(), IN_TOTO_PAYLOAD_TYPE)
                .unwrap();
            assert_eq!(
                *verified.value(),
                bytes,
                "{file} {name}: payload bytes as signed"
            );
            assert_eq!(verified.key_ids().next(), Some(signer.key_id()));
            // The caller parses the verified bytes.
            let statement: Value = serde_json::from_slice(verified.value()).unwrap();
            assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
        }
    }
}

// ---- signing, encodings, hints ----

#[test]
fn ecdsa_is_written_as_der_and_read_as_der_or_raw() {
    let signer = P256::from_scalar(&[3; 32]);
    let env = Envelope::sign(&signer, "text/plain", &b"payload"[..]).unwrap();
    let der = env.signatures()[0].sig().to_vec();
    assert_eq!(der[0], 0x30);
    let raw = Signature::from_es256_der(&der).unwrap().value().to_vec();
    let json = env.to_json();
    let as_raw = edited(json.as_bytes(), |_, _, s| s[0] = raw.clone());
    let env_raw = Envelope::from_json(&as_raw).unwrap();
    assert_eq!(env_raw.signatures()[0].sig(), raw.as_slice());
    env_raw.verify(signer.public_key()).unwrap();
    // DER that is not strict is refused; a raw value of the wrong length too.
    let mut long = der.clone();
    long.push(0);
    let bad = edited(json.as_bytes(), |_, _, s| s[0] = long.clone());
    assert!(
        Envelope::from_json(&bad)
            .unwrap()
            .verify(signer.public_key())
            .is_err()
    );
    let bad = edited(json.as_bytes(), |_, _, s| s[0] = raw[..63].to_vec());
    assert!(
        Envelope::from_json(&bad)
            .unwrap()
            .verify(signer.public_key())
            .is_err()
    );
}

#[test]
fn the_algorithm_comes_from_the_key() {
    let ed = Ed25519::from_seed([4; 32]);
    let ec = P256::from_scalar(&[4; 32]);
    let ed_env = Envelope::sign(&ed, "t/t", &b"x"[..]).unwrap();
    let ec_env = Envelope::sign(&ec, "t/t", &b"x"[..]).unwrap();
    assert!(ed_env.verify(ec.public_key()).is_err());
    assert!(ec_env.verify(ed.public_key()).is_err());
    ed_env.verify(ed.public_key()).unwrap();
    ec_env.verify(ec.public_key()).unwrap();
    // A DER signature is never read as Ed25519: the length check refuses it.
    let DsseError::NoValidSignature { failures, .. } = ec_env.verify(ed.public_key()).unwrap_err()
    else {
        panic!("expected NoValidSignature");
    };
    assert!(matches!(
        &failures[0].error,
        DsseError::Signature { source, .. } if matches!(**source, VerifyError::SignatureLength { .. })
    ));
}

#[test]
fn keyid_is_only_a_hint() {
    let alice = Ed25519::from_seed([5; 32]);
    let mallory = Ed25519::from_seed([6; 32]);
    let env = Envelope::sign(&alice, "t/t", &b"x"[..]).unwrap();
    assert_eq!(
        env.signatures()[0].keyid(),
        Some(alice.key_id().to_string().as_str())
    );
    // Relabel alice's signature as mallory's.
    let mut v: Value = serde_json::from_str(&env.to_json()).unwrap();
    v["signatures"][0]["keyid"] = json!(mallory.key_id().to_string());
    let relabeled = Envelope::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
    // It still verifies with alice's key and the proof names alice.
    let proof = relabeled.verify(alice.public_key()).unwrap();
    assert_eq!(proof.key_ids().collect::<Vec<_>>(), [alice.key_id()]);
    // It never verifies as mallory's, whatever the hint says.
    assert!(relabeled.verify(mallory.public_key()).is_err());
    let by_hint = |hint: Option<&str>| {
        let id: KeyId = hint?.parse().ok()?;
        [alice.public_key(), mallory.public_key()]
            .into_iter()
            .find(|k| k.key_id() == id)
    };
    let (ok, failed) = relabeled.verify_each(by_hint);
    assert!(ok.is_empty());
    assert!(matches!(
        &failed[0].error,
        DsseError::Signature { key_id, .. } if *key_id == mallory.key_id()
    ));
    // Offered every trusted key, the signature verifies, as alice's.
    let (ok, failed) = relabeled.verify_each(|_| [alice.public_key(), mallory.public_key()]);
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].key_ids().collect::<Vec<_>>(), [alice.key_id()]);
    assert!(failed.is_empty());
}

#[test]
fn several_signatures_verify_each() {
    let ed = Ed25519::from_seed([7; 32]);
    let ec = P256::from_scalar(&[7; 32]);
    let stranger = Ed25519::from_seed([8; 32]);
    let mut env = Envelope::sign(&ed, IN_TOTO_PAYLOAD_TYPE, &b"{}"[..]).unwrap();
    env.add_signature(&ec).unwrap();
    env.add_signature(&stranger).unwrap();
    let env = Envelope::from_json(env.to_json().as_bytes()).unwrap();
    assert_eq!(env.signatures().len(), 3);
    for s in [&ed as &dyn Signer, &ec, &stranger] {
        let proof = env.verify(s.public_key()).unwrap();
        assert_eq!(proof.key_ids().collect::<Vec<_>>(), [s.key_id()]);
    }
    let known = [ed.public_key(), ec.public_key()];
    let lookup = |hint: Option<&str>| {
        let id: KeyId = hint?.parse().ok()?;
        known.into_iter().find(|k| k.key_id() == id)
    };
    let (ok, failed) = env.verify_each(lookup);
    let ids: Vec<KeyId> = ok.iter().flat_map(|p| p.key_ids()).collect();
    assert_eq!(ids, [ed.key_id(), ec.key_id()]);
    assert!(ok.iter().all(|p| *p.value() == b"{}"));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].index, 2);
    assert_eq!(
        failed[0].key_id.as_deref(),
        Some(stranger.key_id().to_string().as_str())
    );
    assert!(matches!(
        failed[0].error,
        DsseError::UnknownKey { index: 2, .. }
    ));

    // Corrupt the second signature: every reason is reported, in order.
    let bad = edited(env.to_json().as_bytes(), |_, _, s| s[1][10] ^= 1);
    let bad = Envelope::from_json(&bad).unwrap();
    let (ok, failed) = bad.verify_each(lookup);
    assert_eq!(ok.len(), 1);
    assert_eq!(failed.iter().map(|f| f.index).collect::<Vec<_>>(), [1, 2]);
    assert!(matches!(
        failed[0].error,
        DsseError::Signature { index: 1, .. }
    ));
    let other = Ed25519::from_seed([9; 32]);
    match bad.verify(other.public_key()).unwrap_err() {
        DsseError::NoValidSignature { key_id, failures } => {
            assert_eq!(key_id, other.key_id());
            assert_eq!(
                failures.iter().map(|f| f.index).collect::<Vec<_>>(),
                [0, 1, 2]
            );
        }
        e => panic!("unexpected {e}"),
    }
}

struct FidoSigner(Ed25519);

impl Signer for FidoSigner {
    fn public_key(&self) -> &PublicKey {
        self.0.public_key()
    }
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        let a = FidoAssertion::new(
            "ssh:",
            AuthenticatorFlags(AuthenticatorFlags::USER_PRESENT),
            1,
        );
        Ok(self
            .0
            .try_sign(&a.signed_data(message))?
            .with_evidence(Evidence::Fido(a)))
    }
}

#[test]
fn signatures_with_hardware_evidence_are_refused() {
    let signer = FidoSigner(Ed25519::from_seed([10; 32]));
    assert!(matches!(
        Envelope::sign(&signer, "t/t", &b"x"[..]),
        Err(DsseError::EvidenceNotRepresentable(id)) if id == signer.key_id()
    ));
}

#[test]
fn sign_json_and_verify_typed() {
    let signer = Ed25519::from_seed([12; 32]);
    let statement = json!({"_type": "https://in-toto.io/Statement/v1", "subject": []});
    let env = Envelope::sign_json(&signer, IN_TOTO_PAYLOAD_TYPE, &statement).unwrap();
    assert_eq!(
        env.unverified_payload(),
        serde_json::to_vec(&statement).unwrap()
    );
    let verified = env
        .verify_typed(signer.public_key(), IN_TOTO_PAYLOAD_TYPE)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(verified.value()).unwrap(),
        statement
    );
    assert!(matches!(
        env.verify_typed(signer.public_key(), "application/json"),
        Err(DsseError::PayloadTypeMismatch { .. })
    ));
}

// ---- parsing rules and limits ----

#[test]
fn envelope_md_parsing_rules() {
    let signer = Ed25519::from_seed([13; 32]);
    let env = Envelope::sign(&signer, "t/t", &b"\xfb\xff payload"[..]).unwrap();
    let mut v: Value = serde_json::from_str(&env.to_json()).unwrap();
    // Unknown fields are ignored, at any level.
    v["future"] = json!({"nested": [1, 2, {"x": null}]});
    v["signatures"][0]["extra"] = json!(true);
    let parsed = Envelope::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(parsed, env);
    // URL-safe base64, padded or not, decodes to the same bytes.
    let mut u = v.clone();
    u["payload"] = json!(URL_SAFE_NO_PAD.encode(env.unverified_payload()));
    assert!(u["payload"].as_str().unwrap().contains(['-', '_']));
    let parsed = Envelope::from_json(&serde_json::to_vec(&u).unwrap()).unwrap();
    parsed.verify(signer.public_key()).unwrap();
    // An empty or null keyid is the same as none.
    for hint in [json!(""), Value::Null] {
        let mut h = v.clone();
        h["signatures"][0]["keyid"] = hint;
        let parsed = Envelope::from_json(&serde_json::to_vec(&h).unwrap()).unwrap();
        assert_eq!(parsed.signatures()[0].keyid(), None);
        assert!(!parsed.to_json().contains("keyid"));
    }
    // Required fields; the empty payload and empty signature list parse.
    let empty = br#"{"payload":"","payloadType":"","signatures":[]}"#;
    let parsed = Envelope::from_json(empty).unwrap();
    assert_eq!(parsed.unverified_payload(), b"");
    assert!(matches!(
        parsed.verify(signer.public_key()),
        Err(DsseError::NoSignatures)
    ));
    assert_eq!(parsed.verify_each(|_| Some(signer.public_key())).0.len(), 0);
    for bad in [
        &br#"{"payloadType":"t","signatures":[]}"#[..],
        br#"{"payload":"","signatures":[]}"#,
        br#"{"payload":"","payloadType":"t"}"#,
        br#"{"payload":"","payloadType":"t","signatures":[{"keyid":"k"}]}"#,
        // Duplicate fields could make two readers see two envelopes.
        br#"{"payload":"","payload":"eA==","payloadType":"t","signatures":[]}"#,
        br#"{"payload":"","payloadType":"t","signatures":[{"sig":"","sig":""}]}"#,
        br#"{"payload":"","payloadType":"t","signatures":[]} {}"#,
        br#"{"payload":1,"payloadType":"t","signatures":[]}"#,
        br#"[]"#,
        b"",
        br#"{"payload":"","payloadType":"\ud800","signatures":[]}"#,
    ] {
        assert!(
            matches!(Envelope::from_json(bad), Err(DsseError::Json(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(matches!(
        Envelope::from_json(br#"{"payload":"a","payloadType":"t","signatures":[]}"#),
        Err(DsseError::PayloadBase64(_))
    ));
    assert!(matches!(
        Envelope::from_json(
            br#"{"payload":"","payloadType":"t","signatures":[{"sig":""},{"sig":"+_=="}]}"#
        ),
        Err(DsseError::SignatureBase64 { index: 1, .. })
    ));
}

#[test]
fn limits_are_enforced() {
    let small = Limits {
        max_size: 100,
        ..Limits::DEFAULT
    };
    let big = format!(
        r#"{{"payload":"{}","payloadType":"t","signatures":[]}}"#,
        "A".repeat(100)
    );
    assert!(matches!(
        Envelope::from_json_with_limits(big.as_bytes(), small),
        Err(DsseError::TooLarge { size, limit: 100 }) if size == big.len()
    ));
    let sigs = vec![r#"{"sig":""}"#; 65].join(",");
    let many = format!(r#"{{"payload":"","payloadType":"t","signatures":[{sigs}]}}"#);
    assert!(matches!(
        Envelope::from_json(many.as_bytes()),
        Err(DsseError::TooManySignatures { limit: 64 })
    ));
    let few = Limits {
        max_signatures: 65,
        ..Limits::DEFAULT
    };
    assert_eq!(
        Envelope::from_json_with_limits(many.as_bytes(), few)
            .unwrap()
            .signatures()
            .len(),
        65
    );
    // Deeply nested unknown fields are skipped without recursion: no stack
    // overflow, whether they are well formed or not.
    for (open, close) in [(100_000, 100_000), (100_000, 0), (100_000, 99_999)] {
        for field in ["x", "signatures\":[{\"sig\":\"\",\"x"] {
            let deep = format!(
                r#"{{"{field}":{}{}}}],"payload":"","payloadType":"t","signatures":[]}}"#,
                "[".repeat(open),
                "]".repeat(close)
            );
            let _ = Envelope::from_json(deep.as_bytes());
        }
    }
    let deep = format!(
        r#"{{"x":{}0{},"payload":"","payloadType":"t","signatures":[]}}"#,
        "[{\"a\":".repeat(50_000),
        "}]".repeat(50_000)
    );
    assert_eq!(
        Envelope::from_json(deep.as_bytes()).unwrap().payload_type(),
        "t"
    );
    // Nesting where a known field's value belongs is a type error at once.
    let deep = format!(r#"{{"payload":{}"#, "[".repeat(100_000));
    assert!(matches!(
        Envelope::from_json(deep.as_bytes()),
        Err(DsseError::Json(_))
    ));
}

#[test]
fn serde_embedding_matches_to_json() {
    let mut env =
        Envelope::sign(&Ed25519::from_seed([14; 32]), "ty\"pe\n\u{1}é", &b"p"[..]).unwrap();
    env.add_signature(&P256::from_scalar(&[14; 32])).unwrap();
    assert_eq!(serde_json::to_string(&env).unwrap(), env.to_json());
    let back: Envelope = serde_json::from_str(&env.to_json()).unwrap();
    assert_eq!(back, env);
    let unsigned = Envelope::new("t", Vec::new());
    assert_eq!(
        unsigned.to_json(),
        r#"{"payload":"","payloadType":"t","signatures":[]}"#
    );
    assert_eq!(
        serde_json::to_string(&unsigned).unwrap(),
        unsigned.to_json()
    );
}

// ---- properties ----

fn sample_envelope_json() -> String {
    let mut env = Envelope::sign(
        &Ed25519::from_seed([15; 32]),
        IN_TOTO_PAYLOAD_TYPE,
        &br#"{"_type":"https://in-toto.io/Statement/v1"}"#[..],
    )
    .unwrap();
    env.add_signature(&P256::from_scalar(&[15; 32])).unwrap();
    env.to_json()
}

proptest! {
    #[test]
    fn from_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Envelope::from_json(&bytes);
    }

    #[test]
    fn mutated_envelopes_never_panic_nor_change_meaning(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6),
    ) {
        let original = sample_envelope_json().into_bytes();
        let keys = [
            Ed25519::from_seed([15; 32]).public_key().clone(),
            P256::from_scalar(&[15; 32]).public_key().clone(),
        ];
        let mut bytes = original.clone();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1)).min(bytes.len());
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(env) = Envelope::from_json(&bytes) {
            let _ = env.to_json();
            for key in &keys {
                if env.verify(key).is_ok() {
                    // Whatever still verifies says exactly what was signed.
                    prop_assert_eq!(env.payload_type(), IN_TOTO_PAYLOAD_TYPE);
                    prop_assert_eq!(
                        env.unverified_payload(),
                        &br#"{"_type":"https://in-toto.io/Statement/v1"}"#[..]
                    );
                }
            }
            let _ = env.verify_each(|_| keys.iter());
        }
    }

    #[test]
    fn sign_to_json_from_json_verify(
        payload_type in ".{0,40}",
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        use_p256 in any::<bool>(),
        seed in 1u8..0x80, // [0x80; 32] and up exceed the P-256 order
    ) {
        let signer: Box<dyn Signer> = if use_p256 {
            Box::new(P256::from_scalar(&[seed; 32]))
        } else {
            Box::new(Ed25519::from_seed([seed; 32]))
        };
        let env = Envelope::sign(&signer, payload_type.clone(), payload.clone()).unwrap();
        let json = env.to_json();
        prop_assert_eq!(serde_json::to_string(&env).unwrap(), json.clone());
        let back = Envelope::from_json(json.as_bytes()).unwrap();
        prop_assert_eq!(&back, &env);
        let verified = back.verify_typed(signer.public_key(), &payload_type).unwrap();
        prop_assert_eq!(verified.value(), &payload);
        prop_assert_eq!(verified.key_ids().collect::<Vec<_>>(), vec![signer.key_id()]);
    }
}
