use super::*;
use crate::sig::{AuthenticatorFlags, FidoAssertion};
use proptest::prelude::*;

/// Minimal in-memory signers for the envelope tests (the real ones live in vouch-keys).
struct Ed(ed25519_dalek::SigningKey, PublicKey);
struct P256(p256::ecdsa::SigningKey, PublicKey);
/// Signs like a FIDO authenticator: over authenticator data and the message hash.
struct Fido(ed25519_dalek::SigningKey, PublicKey, u8);

impl Signer for Ed {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).map_err(|e| {
            SignError::Backend {
                key_id: self.key_id(),
                source: Box::new(e),
            }
        })
    }
}

impl Signer for P256 {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
        let s: p256::ecdsa::Signature = signature::Signer::sign(&self.0, m);
        Signature::new(Algorithm::Es256, &s.to_bytes()).map_err(|e| SignError::Backend {
            key_id: self.key_id(),
            source: Box::new(e),
        })
    }
}

impl Signer for Fido {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        let a = FidoAssertion::new("ssh:", AuthenticatorFlags(self.2), 42);
        let v = self.0.sign(&a.signed_data(m)).to_bytes();
        Ok(Signature::new(Algorithm::Ed25519, &v)
            .map_err(|e| SignError::Backend {
                key_id: self.key_id(),
                source: Box::new(e),
            })?
            .with_evidence(Evidence::Fido(a)))
    }
}

fn ed(seed: u8) -> Ed {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
    Ed(sk, pk)
}

fn p256(seed: u8) -> P256 {
    let sk = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    let pk = PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
    P256(sk, pk)
}

fn fido(seed: u8, flags: u8) -> Fido {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes())
        .unwrap()
        .with_fido_application("ssh:")
        .unwrap();
    Fido(sk, pk, flags)
}

#[test]
fn sign1_round_trip_both_algorithms() {
    for signer in [&ed(1) as &dyn Signer, &p256(2)] {
        let env = Sign1::sign(signer, "application/json", b"{}").unwrap();
        let bytes = env.to_bytes().unwrap();
        assert_eq!(bytes[0], 0xd2, "tagged COSE_Sign1");
        let back = Sign1::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes().unwrap(), bytes);
        assert_eq!(back.content_type(), Some("application/json"));
        assert_eq!(back.key_id(), Some(signer.key_id()));
        let v = back.verify(signer.public_key()).unwrap();
        assert_eq!(v.value(), b"{}");
        assert_eq!(v.key_ids().collect::<Vec<_>>(), vec![signer.key_id()]);
        // vouch's own Sign1 is canonical CBOR.
        crate::cbor::validate(&bytes, Strictness::Canonical, Limits::DEFAULT).unwrap();
    }
}

#[test]
fn wrong_key_and_algorithm_confusion() {
    let a = ed(1);
    let b = ed(2);
    let env = Sign1::sign(&a, "text/plain", b"x").unwrap();
    assert!(matches!(
        env.verify(b.public_key()),
        Err(EnvelopeError::KeyIdMismatch { .. })
    ));
    // A P-256 key under an EdDSA header: refused before any arithmetic.
    let p = p256(3);
    let mut forged = env.clone();
    forged.msg.protected.header.key_id = p.key_id().as_bytes().to_vec();
    forged.msg.protected.original_data =
        Some(forged.msg.protected.header.clone().to_vec().unwrap());
    assert!(matches!(
        forged.verify(p.public_key()),
        Err(EnvelopeError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn algorithm_must_be_protected() {
    let a = ed(1);
    let mut env = Sign1::sign(&a, "text/plain", b"x").unwrap();
    env.msg.unprotected.alg = env.msg.protected.header.alg.take();
    env.msg.protected.original_data = Some(env.msg.protected.header.clone().to_vec().unwrap());
    assert!(matches!(
        env.verify(a.public_key()),
        Err(EnvelopeError::MissingAlgorithm)
    ));
}

#[test]
fn multi_signer_envelope() {
    let (a, b, c) = (ed(1), p256(2), ed(3));
    let mut env = Sign::new(
        "application/vnd.vouch.statement+cbor",
        b"statement".to_vec(),
    )
    .unwrap();
    env.add_signature(&a).unwrap();
    let after_one = env.to_bytes().unwrap();
    env.add_signature(&b).unwrap();
    let bytes = env.to_bytes().unwrap();
    assert_eq!(bytes[0..2], [0xd8, 0x62], "tag 98");
    let back = Sign::from_bytes(&bytes).unwrap();
    assert_eq!(
        back.to_bytes().unwrap(),
        bytes,
        "decode-then-encode is the identity"
    );
    let keys = [a.public_key().clone(), b.public_key().clone()];
    let lookup = |k: &KeyId| keys.iter().find(|p| p.key_id() == *k);
    let v = back.verify(lookup).unwrap();
    assert_eq!(
        v.key_ids().collect::<Vec<_>>(),
        vec![a.key_id(), b.key_id()]
    );
    // The first signature is untouched by the second.
    let first = Sign::from_bytes(&after_one).unwrap();
    assert_eq!(first.verify(lookup).unwrap().signers().len(), 1);
    // An unknown signer is reported, the known ones still count.
    let mut env3 = back.clone();
    env3.add_signature(&c).unwrap();
    let (ok, failed) = env3.verify_each(lookup);
    assert_eq!(ok.unwrap().signers().len(), 2);
    assert_eq!(failed.len(), 1);
    assert!(matches!(failed[0].error, EnvelopeError::UnknownKey(k) if k == c.key_id()));
    assert!(env3.verify(lookup).is_err());
    assert!(matches!(
        Sign::new("text/plain", vec![]).unwrap().verify(lookup),
        Err(EnvelopeError::NoSignatures)
    ));
}

#[test]
fn non_canonical_sign_refused() {
    let a = ed(1);
    let mut env = Sign::new("text/plain", b"x".to_vec()).unwrap();
    env.add_signature(&a).unwrap();
    let bytes = env.to_bytes().unwrap();
    // Re-encode the payload bstr length with a needless extra byte.
    let pos = bytes.windows(2).position(|w| w == [0x41, b'x']).unwrap();
    let mut bad = bytes[..pos].to_vec();
    bad.extend_from_slice(&[0x58, 0x01, b'x']);
    bad.extend_from_slice(&bytes[pos + 2..]);
    assert!(matches!(
        Sign::from_bytes(&bad),
        Err(EnvelopeError::Cbor(CborError::NonShortestLength { .. }))
    ));
}

#[test]
fn fido_evidence_travels_and_is_bound() {
    let f = fido(5, AuthenticatorFlags::USER_PRESENT);
    let env = Sign1::sign(&f, "text/plain", b"payload").unwrap();
    let bytes = env.to_bytes().unwrap();
    let v = Sign1::from_bytes(&bytes)
        .unwrap()
        .verify(f.public_key())
        .unwrap();
    match v.signers()[0].evidence() {
        Some(Evidence::Fido(a)) => {
            assert!(a.flags.user_present());
            assert_eq!(a.counter, 42);
        }
        other => panic!("expected FIDO evidence, got {other:?}"),
    }
    // Rewriting the unprotected flags (UP -> UP|UV) breaks the signature.
    let mut forged = Sign1::from_bytes(&bytes).unwrap();
    if let Some((_, v)) = forged
        .msg
        .unprotected
        .rest
        .iter_mut()
        .find(|(l, _)| *l == Label::Int(EVIDENCE_LABEL))
    {
        let mut ev: Evidence = v.deserialized().unwrap();
        let Evidence::Fido(a) = &mut ev;
        a.flags = AuthenticatorFlags(
            AuthenticatorFlags::USER_PRESENT | AuthenticatorFlags::USER_VERIFIED,
        );
        *v = ciborium::Value::serialized(&ev).unwrap();
    }
    assert!(matches!(
        forged.verify(f.public_key()),
        Err(EnvelopeError::Signature { .. })
    ));
}

/// A plain key (no FIDO application) whose signer attaches authenticator
/// data claiming UP and UV, signing over exactly what an authenticator would:
/// the envelope is refused, so a policy demanding user presence cannot be met
/// by a plain key.
#[test]
fn fido_evidence_from_a_plain_key_is_refused() {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let plain = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
    assert_eq!(plain.fido_application(), None);
    let f = Fido(
        sk,
        plain,
        AuthenticatorFlags::USER_PRESENT | AuthenticatorFlags::USER_VERIFIED,
    );
    let keys = [f.public_key().clone()];
    let lookup = |k: &KeyId| keys.iter().find(|p| p.key_id() == *k);
    let refused = |e: &EnvelopeError| {
        matches!(
            e,
            EnvelopeError::Signature {
                index: 0,
                source: VerifyError::UnexpectedFidoEvidence(k),
            } if *k == f.key_id()
        )
    };

    let mut env = Sign::new(
        "application/vnd.vouch.statement+cbor",
        b"statement".to_vec(),
    )
    .unwrap();
    env.add_signature(&f).unwrap();
    let back = Sign::from_bytes(&env.to_bytes().unwrap()).unwrap();
    let carries_evidence = back.msg.signatures[0]
        .unprotected
        .rest
        .iter()
        .any(|(l, _)| *l == Label::Int(EVIDENCE_LABEL));
    assert!(
        carries_evidence,
        "the attack envelope carries FIDO evidence"
    );
    let (ok, failed) = back.verify_each(lookup);
    assert!(ok.is_none(), "no proof for the plain key");
    assert_eq!(failed.len(), 1);
    assert!(refused(&failed[0].error), "{:?}", failed[0].error);
    assert!(back.verify(lookup).is_err());

    let env = Sign1::sign(&f, "text/plain", b"payload").unwrap();
    let back = Sign1::from_bytes(&env.to_bytes().unwrap()).unwrap();
    match back.verify(f.public_key()) {
        Err(e) => assert!(refused(&e), "{e:?}"),
        Ok(_) => panic!("a plain key's FIDO evidence was accepted"),
    }
}

#[test]
fn content_type_is_checked_before_signing() {
    assert!(matches!(
        Sign1::sign(&ed(1), "plain", b"x"),
        Err(EnvelopeError::InvalidContentType(_))
    ));
    assert!(matches!(
        Sign::new(" a/b", vec![]),
        Err(EnvelopeError::InvalidContentType(_))
    ));
}

#[test]
fn wrong_tag_refused() {
    let a = ed(1);
    let mut bytes = Sign1::sign(&a, "text/plain", b"x")
        .unwrap()
        .to_bytes()
        .unwrap();
    bytes[0] = 0xd3; // tag 19
    assert!(matches!(
        Sign1::from_bytes(&bytes),
        Err(EnvelopeError::WrongTag {
            expected: 18,
            found: 19
        })
    ));
}

/// A signer of each kind the envelopes carry: 0 Ed25519, 1 P-256, 2 an
/// Ed25519 FIDO credential (its evidence in the unprotected header).
fn kind_signer(kind: u8, seed: u8) -> Box<dyn Signer> {
    match kind {
        0 => Box::new(ed(seed)),
        1 => Box::new(p256(seed)),
        _ => Box::new(fido(seed, AuthenticatorFlags::USER_PRESENT)),
    }
}

/// Byte ranges of the unprotected header maps inside a tagged `COSE_Sign`:
/// the body's and each `COSE_Signature`'s.
fn sign_unprotected(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    // d8 62 84 | protected bstr | unprotected map | payload bstr | [ sigs ]
    // each sig: 83 | protected bstr | unprotected map | signature bstr
    let lim = Limits::DEFAULT;
    let len = |pos: usize| crate::cbor::item_len(&bytes[pos..], lim).unwrap();
    let mut out = Vec::new();
    let mut pos = 3;
    pos += len(pos);
    out.push(pos..pos + len(pos));
    pos = out[0].end;
    pos += len(pos);
    // The signatures array header (the tests use fewer than 24).
    let count = usize::from(bytes[pos] & 0x1f);
    assert!(bytes[pos] & 0xe0 == 0x80 && count < 24);
    pos += 1;
    for _ in 0..count {
        assert_eq!(bytes[pos], 0x83);
        let sig_end = pos + len(pos);
        pos += 1;
        pos += len(pos);
        out.push(pos..pos + len(pos));
        pos = sig_end;
    }
    assert_eq!(pos, bytes.len());
    out
}

/// The rule for one flipped bit in a `COSE_Sign` signed by `signers`.
fn check_sign_flip(
    bytes: &[u8],
    signers: &[Box<dyn Signer>],
    i: usize,
    bit: u8,
) -> Result<(), String> {
    let keys: Vec<PublicKey> = signers.iter().map(|s| s.public_key().clone()).collect();
    let mut bad = bytes.to_vec();
    bad[i] ^= 1 << bit;
    let unprotected = sign_unprotected(bytes).iter().any(|r| r.contains(&i));
    let verified = Sign::from_bytes(&bad).and_then(|e| {
        e.verify(|k| keys.iter().find(|p| p.key_id() == *k))
            .map(|v| (v.value().to_vec(), e.to_bytes()))
    });
    match verified {
        Err(_) => Ok(()),
        Ok(_) if !unprotected => Err(format!("a flip of bit {bit} at byte {i} (signed) verified")),
        Ok((payload, re)) => {
            let original = Sign::from_bytes(bytes).unwrap();
            if payload != original.unverified_payload() {
                return Err(format!("a flip at byte {i} verified with another payload"));
            }
            if re.ok().as_deref() != Some(&bad[..]) {
                return Err(format!(
                    "a flip at byte {i} verified but does not re-encode as given"
                ));
            }
            Ok(())
        }
    }
}

/// Every bit of a COSE_Sign1 by each kind of signer, flipped one at a time,
/// is refused: by decoding, or by the signature. A Sign1 has no byte that
/// may change: its unprotected header is empty or, for a FIDO signature,
/// holds the authenticator data the signature covers.
#[test]
fn every_flip_in_a_sign1_fails() {
    for kind in 0..3u8 {
        let signer = kind_signer(kind, 7);
        for payload in [&b"x"[..], b"release v1.0 of vouch, certified"] {
            let bytes = Sign1::sign(&signer, "text/plain", payload)
                .unwrap()
                .to_bytes()
                .unwrap();
            assert!(
                Sign1::from_bytes(&bytes)
                    .unwrap()
                    .verify(signer.public_key())
                    .is_ok()
            );
            for i in 0..bytes.len() {
                for bit in 0..8 {
                    let mut bad = bytes.clone();
                    bad[i] ^= 1 << bit;
                    let ok = Sign1::from_bytes(&bad).and_then(|e| e.verify(signer.public_key()));
                    assert!(
                        ok.is_err(),
                        "kind {kind}: a flip of bit {bit} at byte {i} of {} verified",
                        bytes.len()
                    );
                }
            }
        }
    }
}

/// Every bit of a COSE_Sign with one signature of each kind, flipped one at
/// a time (the exhaustive form of `any_flip_in_cose_sign_fails`).
#[test]
fn every_flip_in_a_cose_sign_fails_outside_its_unprotected_headers() {
    let signers: Vec<Box<dyn Signer>> = (0..3u8).map(|k| kind_signer(k, k + 3)).collect();
    let mut env = Sign::new("text/plain", b"release v1.0".to_vec()).unwrap();
    for s in &signers {
        env.add_signature(s).unwrap();
    }
    let bytes = env.to_bytes().unwrap();
    assert_eq!(sign_unprotected(&bytes).len(), 4);
    for i in 0..bytes.len() {
        for bit in 0..8 {
            check_sign_flip(&bytes, &signers, i, bit).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify(payload in proptest::collection::vec(any::<u8>(), 0..512), seed in 1u8..=200, use_p256 in any::<bool>()) {
        let signer: Box<dyn Signer> = if use_p256 { Box::new(p256(seed)) } else { Box::new(ed(seed)) };
        let bytes = Sign1::sign(&signer, "application/octet-stream", &payload).unwrap().to_bytes().unwrap();
        let v = Sign1::from_bytes(&bytes).unwrap().verify(signer.public_key()).unwrap();
        prop_assert_eq!(v.value(), &payload);
    }

    /// Random COSE_Sign envelopes (one to three signers of each kind), one
    /// random bit flipped: outside the unprotected header maps every flip
    /// must be refused; inside them a flip may decode and verify, but only
    /// with the original payload and as the bytes it was given.
    #[test]
    fn any_flip_in_cose_sign_fails(
        payload in proptest::collection::vec(any::<u8>(), 1..64),
        kinds in proptest::collection::vec(0u8..3, 1..4),
        pick in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let signers: Vec<Box<dyn Signer>> = kinds
            .iter()
            .enumerate()
            .map(|(n, k)| kind_signer(*k, n as u8 + 1))
            .collect();
        let mut env = Sign::new("text/plain", payload).unwrap();
        for s in &signers {
            env.add_signature(s).unwrap();
        }
        let bytes = env.to_bytes().unwrap();
        let i = pick.index(bytes.len());
        check_sign_flip(&bytes, &signers, i, bit).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Sign1::from_bytes(&bytes).map(|e| e.verify(ed(1).public_key()));
        let _ = Sign::from_bytes(&bytes);
        let _ = Sign::peek(&bytes, Limits::DEFAULT);
    }

    /// A verifier indexes with `peek` and decodes later: the two must accept
    /// the same bytes and read the same payload and content type from them.
    #[test]
    fn peek_accepts_what_decoding_accepts(
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        signers in 0usize..3,
        pick in any::<usize>(),
        bit in 0u8..8,
        flip in any::<bool>(),
    ) {
        let mut env = Sign::new("text/plain", payload).unwrap();
        for i in 0..signers {
            env.add_signature(&ed(i as u8 + 1)).unwrap();
        }
        let mut bytes = env.to_bytes().unwrap();
        if flip {
            let i = pick % bytes.len();
            bytes[i] ^= 1 << bit;
        }
        let decoded = Sign::from_bytes(&bytes);
        let peeked = Sign::peek(&bytes, Limits::DEFAULT);
        prop_assert_eq!(decoded.is_ok(), peeked.is_ok(), "{:?} / {:?}", decoded.as_ref().err(), peeked.as_ref().err());
        if let (Ok(d), Ok(p)) = (decoded, peeked) {
            prop_assert_eq!(d.unverified_payload(), p.unverified_payload());
            prop_assert_eq!(d.content_type(), p.content_type());
            prop_assert_eq!(d.signature_count(), p.signature_count());
        }
    }
}

/// A Debug form of a `verify_each` result, to compare two of them.
fn outcome(r: &(Option<Verified<&[u8]>>, Vec<SignatureFailure>)) -> String {
    let ok: Vec<String> =
        r.0.iter()
            .flat_map(|v| v.signers().iter().map(|s| format!("{s:?}")))
            .collect();
    let failed: Vec<String> =
        r.1.iter()
            .map(|f| format!("{:?} {}", f.key_id, f.error))
            .collect();
    format!("{ok:?} / {failed:?}")
}

#[test]
fn verifying_many_envelopes_at_once_agrees_with_one_by_one() {
    let (a, b, c, f) = (
        ed(1),
        ed(2),
        p256(3),
        fido(4, AuthenticatorFlags::USER_PRESENT),
    );
    let stranger = ed(9);
    let keys = [a.1.clone(), b.1.clone(), c.1.clone(), f.1.clone()];
    let lookup = |k: &KeyId| keys.iter().find(|p| p.key_id() == *k);
    let mut envelopes = Vec::new();
    for i in 0..70u8 {
        let mut e = Sign::new("text/plain", vec![i; 1 + usize::from(i)]).unwrap();
        let signers: Vec<&dyn Signer> = match i % 5 {
            0 => vec![&a],
            1 => vec![&a, &b],
            2 => vec![&c, &a],
            3 => vec![&f, &stranger],
            _ => vec![&b],
        };
        for s in signers {
            e.add_signature(s).unwrap();
        }
        let mut bytes = e.to_bytes().unwrap();
        if i % 7 == 3 {
            // A flipped bit in the last signature.
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        }
        envelopes.push(Sign::from_bytes(&bytes).unwrap());
    }
    let refs: Vec<&Sign> = envelopes.iter().collect();
    let many = Sign::verify_each_many(&refs, lookup);
    assert_eq!(many.len(), envelopes.len());
    let mut bad = 0;
    for (e, m) in envelopes.iter().zip(&many) {
        let one = e.verify_each(lookup);
        assert_eq!(outcome(m), outcome(&one));
        bad += m.1.len();
    }
    // Strangers and flipped bits were found, so the batch fell back.
    assert!(bad > 14, "{bad}");
    assert!(Sign::verify_each_many(&[], lookup).is_empty());
}

/// A tagged `COSE_Sign` written by hand: `protected` (the bstr content),
/// `unprotected` (an encoded map), payload `h'78'`, and `signatures`
/// (each an encoded `COSE_Signature`).
fn raw_sign(protected: &[u8], unprotected: &[u8], signatures: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0xd8, 0x62, 0x84];
    crate::cbor::write_head(&mut out, 2, protected.len() as u64);
    out.extend_from_slice(protected);
    out.extend_from_slice(unprotected);
    out.extend_from_slice(&[0x41, b'x']);
    crate::cbor::write_head(&mut out, 4, signatures.len() as u64);
    for s in signatures {
        out.extend_from_slice(s);
    }
    out
}

/// The smallest `COSE_Signature`: `[h'', {}, h'']`, 4 bytes.
const TINY_SIGNATURE: [u8; 4] = [0x83, 0x40, 0xa0, 0x40];

#[test]
fn signatures_per_envelope_are_limited() {
    let at_limit = raw_sign(&[], &[0xa0], &vec![TINY_SIGNATURE.to_vec(); MAX_SIGNATURES]);
    assert_eq!(
        Sign::from_bytes(&at_limit).unwrap().signature_count(),
        MAX_SIGNATURES
    );
    assert_eq!(
        Sign::peek(&at_limit, Limits::DEFAULT)
            .unwrap()
            .signature_count(),
        MAX_SIGNATURES
    );
    let past = raw_sign(
        &[],
        &[0xa0],
        &vec![TINY_SIGNATURE.to_vec(); MAX_SIGNATURES + 1],
    );
    for err in [
        Sign::from_bytes(&past).unwrap_err(),
        Sign::peek(&past, Limits::DEFAULT).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                EnvelopeError::TooManySignatures {
                    count,
                    max: MAX_SIGNATURES
                } if count == MAX_SIGNATURES + 1
            ),
            "{err:?}"
        );
    }
    // Writing: the 65th signature is refused, the envelope stays readable.
    let mut env = Sign::new("text/plain", b"x".to_vec()).unwrap();
    let key = ed(1);
    for _ in 0..MAX_SIGNATURES {
        env.add_signature(&key).unwrap();
    }
    assert!(matches!(
        env.add_signature(&key),
        Err(EnvelopeError::TooManySignatures { .. })
    ));
    assert_eq!(
        Sign::from_bytes(&env.to_bytes().unwrap())
            .unwrap()
            .signature_count(),
        MAX_SIGNATURES
    );
}

#[test]
fn critical_parameters_in_the_body_header_are_refused() {
    // {2: [3], 3: "a/b"}: the content type marked critical.
    let crit = [0xa2, 0x02, 0x81, 0x03, 0x03, 0x63, b'a', b'/', b'b'];
    let bytes = raw_sign(&crit, &[0xa0], &[TINY_SIGNATURE.to_vec()]);
    crate::cbor::validate(&bytes, Strictness::Canonical, Limits::DEFAULT).unwrap();
    assert!(matches!(
        Sign::from_bytes(&bytes),
        Err(EnvelopeError::UnsupportedCritical)
    ));
    assert!(matches!(
        Sign::peek(&bytes, Limits::DEFAULT),
        Err(EnvelopeError::UnsupportedCritical)
    ));
    // The same header without crit is read.
    let plain = [0xa1, 0x03, 0x63, b'a', b'/', b'b'];
    let bytes = raw_sign(&plain, &[0xa0], &[TINY_SIGNATURE.to_vec()]);
    assert_eq!(
        Sign::from_bytes(&bytes).unwrap().content_type(),
        Some("a/b")
    );
}

/// `{1000: h'00…'}` encoded in exactly `len` bytes (`len` from 7 to 65542).
fn header_of_len(len: usize) -> Vec<u8> {
    let fill = len - 7;
    let mut out = vec![0xa1, 0x19, 0x03, 0xe8];
    crate::cbor::write_head(&mut out, 2, fill as u64);
    out.resize(len, 0);
    assert_eq!(out.len(), len);
    out
}

#[test]
fn header_sizes_are_limited() {
    let max = MAX_HEADER_LEN;
    let too_large = |r: Result<Sign, EnvelopeError>, which: &str| match r {
        Err(EnvelopeError::HeaderTooLarge {
            which: w,
            len,
            max: m,
        }) => {
            assert_eq!((w, len, m), (which, MAX_HEADER_LEN + 1, MAX_HEADER_LEN));
        }
        other => panic!("{which}: {other:?}"),
    };
    // The body's unprotected header.
    Sign::from_bytes(&raw_sign(&[], &header_of_len(max), &[])).unwrap();
    too_large(
        Sign::from_bytes(&raw_sign(&[], &header_of_len(max + 1), &[])),
        "unprotected",
    );
    // A signature's unprotected header.
    let sig = |len| {
        let mut s = vec![0x83, 0x40];
        s.extend_from_slice(&header_of_len(len));
        s.push(0x40);
        s
    };
    Sign::from_bytes(&raw_sign(&[], &[0xa0], &[sig(max)])).unwrap();
    too_large(
        Sign::from_bytes(&raw_sign(&[], &[0xa0], &[sig(max + 1)])),
        "unprotected",
    );
    // The body's protected header.
    Sign::from_bytes(&raw_sign(&header_of_len(max), &[0xa0], &[])).unwrap();
    too_large(
        Sign::from_bytes(&raw_sign(&header_of_len(max + 1), &[0xa0], &[])),
        "protected",
    );
    // COSE_Sign1, definite and indefinite-length arrays.
    let sign1 = |protected: &[u8], unprotected: &[u8], indefinite: bool| {
        let mut out = vec![0xd2, if indefinite { 0x9f } else { 0x84 }];
        crate::cbor::write_head(&mut out, 2, protected.len() as u64);
        out.extend_from_slice(protected);
        out.extend_from_slice(unprotected);
        out.extend_from_slice(&[0x41, b'x', 0x40]);
        if indefinite {
            out.push(0xff);
        }
        out
    };
    for indefinite in [false, true] {
        Sign1::from_bytes(&sign1(&[], &header_of_len(max), indefinite)).unwrap();
        Sign1::from_bytes(&sign1(&header_of_len(max), &[0xa0], indefinite)).unwrap();
        for (p, u, which) in [
            (header_of_len(max + 1), vec![0xa0], "protected"),
            (vec![], header_of_len(max + 1), "unprotected"),
        ] {
            match Sign1::from_bytes(&sign1(&p, &u, indefinite)) {
                Err(EnvelopeError::HeaderTooLarge { which: w, .. }) => assert_eq!(w, which),
                other => panic!("{which}: {other:?}"),
            }
        }
    }
}
