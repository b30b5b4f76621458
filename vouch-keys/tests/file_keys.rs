//! File keys through the public API: saving and loading in vouch's format,
//! permissions, passphrases, signing (vouch's trait, the RustCrypto traits,
//! COSE envelopes), key references, and decoders under random input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TempDir, fast_kdf, mode, set_mode};
use proptest::prelude::*;
use vouch_core::cose::Sign1;
use vouch_core::{Algorithm, PublicKey, Signature, Signer as _};
use vouch_keys::{
    Error, FileKey, KdfParams, KeyFormat, KeyRef, Origin, Overwrite, Passphrase, SaveOptions,
};

const ALGORITHMS: [Algorithm; 2] = [Algorithm::Ed25519, Algorithm::Es256];

/// The 32 secret bytes of a key, read back from its unencrypted vouch encoding.
fn secret_of(key: &FileKey) -> Vec<u8> {
    let text = key.encode(&SaveOptions::new()).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine as _;
    let cbor = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let doc: ciborium::value::Value = vouch_core::cbor::from_canonical(&cbor).unwrap();
    let secret = doc
        .as_map()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_text() == Some("secret"))
        .unwrap()
        .1
        .as_bytes()
        .unwrap()
        .clone();
    assert_eq!(secret.len(), 32);
    secret
}

fn assert_same_key(a: &FileKey, b: &FileKey) {
    assert_eq!(a.public_key(), b.public_key());
    assert_eq!(secret_of(a), secret_of(b));
}

#[test]
fn save_and_load_round_trip_for_both_algorithms() {
    let dir = TempDir::new("round-trip");
    let pass = Passphrase::new("correct horse battery staple");
    for alg in ALGORITHMS {
        let key = FileKey::generate(alg).unwrap().with_comment("alice@ci");

        let plain = dir.join(&format!("{alg}-plain.key"));
        key.save(&plain, None).unwrap();
        assert_eq!(mode(&plain), 0o600);
        let text = std::fs::read_to_string(&plain).unwrap();
        assert!(text.starts_with("-----BEGIN VOUCH PRIVATE KEY-----\n"));
        let back = FileKey::load(&plain, None).unwrap();
        assert_same_key(&key, &back);
        assert_eq!(back.comment(), "alice@ci");
        // A passphrase for an unencrypted key is ignored.
        assert_same_key(&key, &FileKey::load(&plain, Some(&pass)).unwrap());

        let enc = dir.join(&format!("{alg}-enc.key"));
        key.save_with(&enc, &SaveOptions::new().passphrase(&pass).kdf(fast_kdf()))
            .unwrap();
        assert_eq!(mode(&enc), 0o600);
        let back = FileKey::load(&enc, Some(&pass)).unwrap();
        assert_same_key(&key, &back);

        // What the loaded key signs, the original public key verifies.
        let sig = back.try_sign(b"payload").unwrap();
        key.public_key().verify(b"payload", &sig).unwrap();
    }
}

#[test]
fn default_save_uses_the_recommended_kdf() {
    // One real-cost round trip (a few seconds in a debug build).
    let dir = TempDir::new("recommended");
    let path = dir.join("k");
    let pass = Passphrase::new("pw");
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    key.save(&path, Some(&pass)).unwrap();
    assert_same_key(&key, &FileKey::load(&path, Some(&pass)).unwrap());
    assert_eq!(KdfParams::default(), KdfParams::RECOMMENDED);
}

#[test]
fn wrong_or_missing_passphrase_is_a_typed_error() {
    let dir = TempDir::new("passphrase");
    let path = dir.join("k");
    let key = FileKey::generate(Algorithm::Es256).unwrap();
    key.save_with(
        &path,
        &SaveOptions::new()
            .passphrase(&Passphrase::new("right"))
            .kdf(fast_kdf()),
    )
    .unwrap();

    let err = FileKey::load(&path, Some(&Passphrase::new("wrong"))).unwrap_err();
    match &err {
        Error::WrongPassphrase { origin, key_id } => {
            assert_eq!(origin, &Origin::File(path.clone()));
            assert_eq!(*key_id, Some(key.key_id()));
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains(path.to_str().unwrap()) && msg.contains("wrong passphrase"),
        "{msg}"
    );
    assert!(!msg.contains("right") && !msg.contains("wrong\""), "{msg}");

    match FileKey::load(&path, None).unwrap_err() {
        Error::PassphraseRequired {
            format: KeyFormat::Vouch,
            key_id,
            ..
        } => assert_eq!(key_id, Some(key.key_id())),
        other => panic!("{other:?}"),
    }

    let empty = Passphrase::new("");
    assert!(matches!(
        key.save(dir.join("empty"), Some(&empty)),
        Err(Error::EmptyPassphrase { .. })
    ));
    assert!(!dir.join("empty").exists());
}

#[test]
fn group_or_world_accessible_files_are_refused() {
    let dir = TempDir::new("modes");
    let path = dir.join("k");
    FileKey::generate(Algorithm::Ed25519)
        .unwrap()
        .save(&path, None)
        .unwrap();
    set_mode(&path, 0o644);
    let err = FileKey::load(&path, None).unwrap_err();
    assert!(
        matches!(&err, Error::InsecurePermissions { path: p, mode: 0o644 } if *p == path),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(path.to_str().unwrap()) && msg.contains("0644"),
        "{msg}"
    );
    // Refused before reading, whatever the format: it is the file that is wrong.
    std::fs::write(&path, b"not even a key").unwrap();
    assert!(matches!(
        FileKey::load(&path, None),
        Err(Error::InsecurePermissions { .. })
    ));
    set_mode(&path, 0o600);
    assert!(matches!(
        FileKey::load(&path, None),
        Err(Error::UnrecognizedFormat { .. })
    ));
}

#[test]
fn saving_never_clobbers_unless_asked() {
    let dir = TempDir::new("overwrite");
    let path = dir.join("k");
    let first = FileKey::generate(Algorithm::Ed25519).unwrap();
    let second = FileKey::generate(Algorithm::Ed25519).unwrap();
    first.save(&path, None).unwrap();
    assert!(matches!(
        second.save(&path, None),
        Err(Error::AlreadyExists { .. })
    ));
    assert_same_key(&first, &FileKey::load(&path, None).unwrap());

    set_mode(&path, 0o644);
    second
        .save_with(&path, &SaveOptions::new().overwrite(Overwrite::Replace))
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_same_key(&second, &FileKey::load(&path, None).unwrap());
}

#[test]
fn public_key_files_are_openssh_lines() {
    let dir = TempDir::new("public");
    for alg in ALGORITHMS {
        let key = FileKey::generate(alg)
            .unwrap()
            .with_comment("release signing");
        let path = dir.join(&format!("{alg}.pub"));
        key.save_public(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with(" release signing\n"), "{text}");
        assert_eq!(
            PublicKey::parse_any(text.as_bytes()).unwrap(),
            *key.public_key()
        );
        assert!(matches!(
            key.save_public(&path),
            Err(Error::AlreadyExists { .. })
        ));
    }
}

#[test]
fn debug_never_shows_secret_material() {
    for alg in ALGORITHMS {
        let key = FileKey::generate(alg).unwrap();
        let secret = secret_of(&key);
        for shown in [format!("{key:?}"), format!("{key:#?}")] {
            assert!(!shown.contains(&hex::encode(&secret)), "{shown}");
            assert!(!shown.contains(&hex::encode_upper(&secret)), "{shown}");
            // Not even a recognisable prefix of it.
            assert!(!shown.contains(&hex::encode(&secret[..8])), "{shown}");
            assert!(!shown.contains(&format!("{:?}", &secret[..8])), "{shown}");
            assert!(shown.contains(&key.key_id().to_string()), "{shown}");
            assert!(shown.contains(&format!("{alg:?}")), "{shown}");
        }
    }
}

#[test]
fn cose_sign1_made_by_a_file_key_verifies_and_tampering_is_refused() {
    for alg in ALGORITHMS {
        let key = FileKey::generate(alg).unwrap();
        let envelope = Sign1::sign(&key, "application/json", br#"{"v":1}"#).unwrap();
        let bytes = envelope.to_bytes().unwrap();
        let verified = Sign1::from_bytes(&bytes)
            .unwrap()
            .verify(key.public_key())
            .unwrap();
        assert_eq!(verified.value(), br#"{"v":1}"#);
        assert_eq!(verified.key_ids().collect::<Vec<_>>(), vec![key.key_id()]);

        // Flip one byte of the payload inside the encoded envelope.
        let pos = bytes.windows(7).position(|w| w == br#"{"v":1}"#).unwrap();
        let mut tampered = bytes.clone();
        tampered[pos + 5] = b'2';
        let decoded = Sign1::from_bytes(&tampered).unwrap();
        assert!(decoded.verify(key.public_key()).is_err());

        // Another key of the same algorithm does not verify it either.
        let other = FileKey::generate(alg).unwrap();
        assert!(envelope.verify(other.public_key()).is_err());
    }
}

/// Whether `s` is at most n/2 (low-S), checked by normalizing and comparing.
fn is_low_s(sig: &Signature) -> bool {
    let s = p256::ecdsa::Signature::from_slice(sig.value()).unwrap();
    s.normalize_s() == s
}

#[test]
fn every_es256_signature_is_low_s() {
    let key = FileKey::generate(Algorithm::Es256).unwrap();
    // With RFC 6979 nonces about half the raw signatures would be high-S.
    for i in 0..256u32 {
        let msg = i.to_be_bytes();
        let sig = key.try_sign(&msg).unwrap();
        assert!(is_low_s(&sig), "message {i}");
        key.public_key().verify(&msg, &sig).unwrap();
        let via_trait: Signature = signature::Signer::try_sign(&key, &msg).unwrap();
        assert!(is_low_s(&via_trait));
    }
    let envelope = Sign1::sign(&key, "text/plain", b"x").unwrap();
    let verified = envelope.verify(key.public_key()).unwrap();
    assert!(is_low_s(verified.signers()[0].signature()));
}

/// Works with any RustCrypto-style key pair whose signatures are vouch signatures.
fn sign_and_verify_generically<K>(key: &K, message: &[u8]) -> Signature
where
    K: signature::Signer<Signature>
        + signature::Keypair<VerifyingKey = PublicKey>
        + signature::Verifier<Signature>,
{
    let sig = key.try_sign(message).unwrap();
    key.verify(message, &sig).unwrap();
    assert!(key.verify(b"something else", &sig).is_err());
    key.verifying_key().verify(message, &sig).unwrap();
    sig
}

#[test]
fn rustcrypto_signature_traits_work_generically() {
    for alg in ALGORITHMS {
        let key = FileKey::generate(alg).unwrap();
        let sig = sign_and_verify_generically(&key, b"generic");
        assert_eq!(sig.algorithm(), alg);
        // The RustCrypto and vouch paths agree (both deterministic).
        assert_eq!(sig, vouch_core::Signer::try_sign(&key, b"generic").unwrap());
        // A signature of the other algorithm is refused.
        let other = FileKey::generate(if alg == Algorithm::Ed25519 {
            Algorithm::Es256
        } else {
            Algorithm::Ed25519
        })
        .unwrap();
        let foreign = other.try_sign(b"generic").unwrap();
        assert!(signature::Verifier::verify(&key, b"generic", &foreign).is_err());
    }
}

#[test]
fn key_references_open_file_keys() {
    let dir = TempDir::new("keyref");
    let path = dir.join("ci.key");
    let pass = Passphrase::new("pw");
    let key = FileKey::generate(Algorithm::Es256).unwrap();
    key.save_with(&path, &SaveOptions::new().passphrase(&pass).kdf(fast_kdf()))
        .unwrap();

    let reference: KeyRef = format!("file:{}", path.display()).parse().unwrap();
    assert_eq!(reference, KeyRef::file(&path));
    assert_eq!(reference.to_string(), format!("file:{}", path.display()));
    let signer = reference.open(Some(&pass)).unwrap();
    assert_eq!(signer.key_id(), key.key_id());
    assert_eq!(signer.algorithm(), Algorithm::Es256);
    let envelope = Sign1::sign(&*signer, "text/plain", b"deploy").unwrap();
    envelope.verify(key.public_key()).unwrap();
    assert!(matches!(
        reference.open(None),
        Err(Error::PassphraseRequired { .. })
    ));
    assert!(matches!(
        KeyRef::file(dir.join("missing")).open(None),
        Err(Error::Io { action: "open", .. })
    ));

    let mut unbuilt = Vec::new();
    if cfg!(not(feature = "tpm")) {
        unbuilt.push(("tpm:0x81000001", "tpm"));
    }
    if cfg!(not(feature = "fido")) {
        unbuilt.push(("fido:key.stub", "fido"));
    }
    for (text, scheme) in unbuilt {
        match text.parse::<KeyRef>() {
            Err(Error::BackendNotBuilt { scheme: s, .. }) => assert_eq!(s, scheme),
            other => panic!("{text}: {other:?}"),
        }
    }
    for text in ["vault:secret/ci", "", "no-scheme", "http://example.com/k"] {
        assert!(
            matches!(text.parse::<KeyRef>(), Err(Error::UnknownScheme { .. })),
            "{text}"
        );
    }
}

#[test]
fn errors_are_send_sync_and_name_what_they_are_about() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
    assert_send_sync::<FileKey>();
    let e = FileKey::decode(b"-----BEGIN VOUCH PRIVATE KEY-----\nAAAA\n", None).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Malformed {
                origin: Origin::Memory,
                format: KeyFormat::Vouch,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(std::error::Error::source(&e).is_some());
}

/// One valid encoding per algorithm, plain and encrypted (fast KDF), to mutate.
fn valid_encodings() -> &'static [(Vec<u8>, Option<Passphrase>)] {
    static ENCODINGS: std::sync::OnceLock<Vec<(Vec<u8>, Option<Passphrase>)>> =
        std::sync::OnceLock::new();
    ENCODINGS.get_or_init(make_encodings)
}

fn make_encodings() -> Vec<(Vec<u8>, Option<Passphrase>)> {
    let pass = Passphrase::new("pw");
    let mut out = Vec::new();
    for alg in ALGORITHMS {
        let key = FileKey::generate(alg).unwrap().with_comment("c");
        out.push((
            key.encode(&SaveOptions::new()).unwrap().as_bytes().to_vec(),
            None,
        ));
        out.push((
            key.encode(&SaveOptions::new().passphrase(&pass).kdf(fast_kdf()))
                .unwrap()
                .as_bytes()
                .to_vec(),
            Some(pass.clone()),
        ));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decoder_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = FileKey::decode(&bytes, None);
        let _ = FileKey::decode(&bytes, Some(&Passphrase::new("pw")));
    }

    #[test]
    fn decoder_never_panics_on_random_armored_text(
        label in prop::sample::select(vec![
            "VOUCH PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY",
        ]),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
        let text = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        let _ = FileKey::decode(text.as_bytes(), Some(&Passphrase::new("pw")));
    }

    #[test]
    fn decoder_never_panics_on_mutated_key_files(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (original, pass) = &valid_encodings()[which];
        let mut bytes = original.clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        match FileKey::decode(&bytes, pass.as_ref()) {
            // A mutation inside the armor lines' whitespace can leave the key intact.
            Ok(key) => {
                let expected = FileKey::decode(original, pass.as_ref()).unwrap();
                prop_assert_eq!(key.public_key(), expected.public_key());
            }
            Err(e) => { let _ = e.to_string(); }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn save_then_load_round_trips(
        ed25519 in any::<bool>(),
        encrypted in any::<bool>(),
        comment in "[ -~]{0,40}",
        passphrase in "\\PC{1,20}",
    ) {
        let dir = TempDir::new("prop");
        let alg = if ed25519 { Algorithm::Ed25519 } else { Algorithm::Es256 };
        let key = FileKey::generate(alg).unwrap().with_comment(&comment);
        let pass = Passphrase::new(passphrase);
        let path = dir.join("k");
        let options = SaveOptions::new().kdf(fast_kdf());
        let options = if encrypted { options.passphrase(&pass) } else { options };
        key.save_with(&path, &options).unwrap();
        let back = FileKey::load(&path, Some(&pass)).unwrap();
        prop_assert_eq!(back.public_key(), key.public_key());
        prop_assert_eq!(back.comment(), comment.trim());
        prop_assert_eq!(secret_of(&back), secret_of(&key));
        // Re-saving the loaded key gives a file that loads to the same key.
        let again = dir.join("k2");
        back.save_with(&again, &options).unwrap();
        let reloaded = FileKey::load(&again, Some(&pass)).unwrap();
        prop_assert_eq!(reloaded.public_key(), key.public_key());
    }
}
