//! No key type shows its secret: `Debug` of every type that holds one, and
//! the `Display` of the errors its loading can fail with, are checked for
//! the secret in every form a careless formatter would print it (hex either
//! case, base64 either alphabet, a `Debug` byte list), and for a
//! passphrase's text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use common::{TempDir, fast_kdf};
use vouch_core::{Algorithm, Timestamp};
use vouch_keys::softfido::TestAttestationCa;
use vouch_keys::softfido::{Presence, SoftAuthenticator};
use vouch_keys::{FileKey, Passphrase, SaveOptions};

/// A secret no test would pick by accident: every byte differs.
const SECRET: [u8; 32] = [
    0x5a, 0x17, 0xc3, 0x88, 0x2e, 0xf1, 0x49, 0x06, 0xbd, 0x73, 0x9a, 0x61, 0x0c, 0xe4, 0x35, 0xd8,
    0x27, 0x8f, 0x50, 0xa6, 0x1b, 0x94, 0x6e, 0xc9, 0x3d, 0x02, 0xb7, 0x7a, 0xe0, 0x41, 0x15, 0x6c,
];

const PASSPHRASE: &str = "tr0ub4dor&3-is-not-here";

/// Ed25519 PKCS#8 v1 (RFC 8410 §7) around a seed.
fn ed25519_pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = hex("302e020100300506032b657004220420");
    der.extend_from_slice(seed);
    der
}

/// P-256 PKCS#8 around an ECPrivateKey (RFC 5915) without the public key.
fn p256_pkcs8(scalar: &[u8; 32]) -> Vec<u8> {
    let mut der = hex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");
    der.extend_from_slice(scalar);
    der
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Every way a formatter would show (a part of) `secret`: any 8-byte
/// window of it in hex (either case), and the whole of it in base64 (both
/// alphabets, padded or not) or as a `Debug` list of bytes.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for w in secret.windows(8) {
        let h: String = w.iter().map(|b| format!("{b:02x}")).collect();
        out.push(h.to_uppercase());
        out.push(h);
        out.push(format!("{w:?}").trim_end_matches(']').to_owned());
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        // Any 12 characters of the encoding: 9 bytes of secret.
        let b = engine.encode(secret);
        for i in 0..b.len().saturating_sub(12) {
            out.push(b[i..i + 12].to_owned());
        }
    }
    out
}

#[track_caller]
fn assert_hides(what: &str, shown: &str, secret: &[u8]) {
    for f in forms(secret) {
        assert!(
            !shown.contains(&f),
            "{what} shows its secret ({f}): {shown}"
        );
    }
    assert!(
        !shown.contains(PASSPHRASE),
        "{what} shows the passphrase: {shown}"
    );
}

fn keys() -> Vec<(&'static str, FileKey)> {
    vec![
        (
            "Ed25519 FileKey",
            FileKey::decode(&ed25519_pkcs8(&SECRET), None).unwrap(),
        ),
        (
            "P-256 FileKey",
            FileKey::decode(&p256_pkcs8(&SECRET), None).unwrap(),
        ),
    ]
}

#[test]
fn the_fixture_keys_hold_the_secret() {
    // A key built from other bytes would make every check below vacuous:
    // the same secret, under PKCS#8 again, is the same key.
    for (what, key) in keys() {
        let again = match key.algorithm() {
            Algorithm::Ed25519 => FileKey::decode(&ed25519_pkcs8(&SECRET), None).unwrap(),
            _ => FileKey::decode(&p256_pkcs8(&SECRET), None).unwrap(),
        };
        assert_eq!(key.key_id(), again.key_id(), "{what}");
        let mut other = SECRET;
        other[31] ^= 1;
        let different = match key.algorithm() {
            Algorithm::Ed25519 => FileKey::decode(&ed25519_pkcs8(&other), None).unwrap(),
            _ => FileKey::decode(&p256_pkcs8(&other), None).unwrap(),
        };
        assert_ne!(key.key_id(), different.key_id(), "{what}");
    }
}

#[test]
fn file_keys_hide_their_secret() {
    for (what, key) in keys() {
        let key = key.with_comment("alice@example.com");
        assert_hides(what, &format!("{key:?}"), &SECRET);
        assert_hides(what, &format!("{key:#?}"), &SECRET);
        // What a key's Debug does show: enough to tell keys apart.
        assert!(format!("{key:?}").contains(&key.key_id().to_string()));
        assert!(format!("{key:?}").contains("alice@example.com"));
    }
}

#[test]
fn passphrases_hide_their_text() {
    let p = Passphrase::new(PASSPHRASE);
    assert_hides("Passphrase", &format!("{p:?} {p:#?}"), &[]);
}

#[test]
fn soft_authenticators_hide_their_key() {
    for presence in [Presence::Touch, Presence::TouchAndPin, Presence::Absent] {
        for (what, key) in keys() {
            if key.algorithm() != Algorithm::Es256 && presence == Presence::TouchAndPin {
                continue;
            }
            let Ok(auth) = SoftAuthenticator::new(key, "ssh:vouch-test", presence) else {
                continue;
            };
            assert_hides(what, &format!("{auth:?} {auth:#?}"), &SECRET);
        }
    }
}

#[test]
fn the_test_attestation_ca_hides_its_key() {
    let dir = TempDir::new("secrets-ca");
    let ca = TestAttestationCa::generate(
        "Vouch Test CA",
        Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
        1,
    )
    .unwrap();
    let (key_path, cert_path) = (dir.join("ca.key"), dir.join("ca.pem"));
    ca.save(&key_path, &cert_path).unwrap();
    // The key file is the secret as stored: no part of its body may show.
    let stored = std::fs::read_to_string(&key_path).unwrap();
    let shown = format!("{ca:?} {ca:#?}");
    for line in stored
        .lines()
        .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
    {
        for i in 0..line.len() - 16 {
            assert!(
                !shown.contains(&line[i..i + 16]),
                "the CA shows its key file: {shown}"
            );
        }
    }
    let loaded = TestAttestationCa::load(&key_path, &cert_path).unwrap();
    assert_eq!(format!("{loaded:?}"), format!("{ca:?}"));
}

#[test]
fn key_file_errors_hide_the_secret_and_the_passphrase() {
    let dir = TempDir::new("secrets-errors");
    for (what, key) in keys() {
        let path = dir.join("key");
        let _ = std::fs::remove_file(&path);
        let right = Passphrase::new(PASSPHRASE);
        key.save_with(
            &path,
            &SaveOptions::new().passphrase(&right).kdf(fast_kdf()),
        )
        .unwrap();
        let encrypted = std::fs::read(&path).unwrap();

        // Wrong passphrase, no passphrase, and a file cut short or with a
        // byte changed: the error names the problem and shows nothing of
        // the key or of either passphrase.
        let wrong = Passphrase::new("also-not-shown-0xdeadbeef");
        let mut cases: Vec<(String, Vec<u8>, Option<&Passphrase>)> = vec![
            ("wrong passphrase".into(), encrypted.clone(), Some(&wrong)),
            ("no passphrase".into(), encrypted.clone(), None),
            (
                "truncated".into(),
                encrypted[..encrypted.len() / 2].to_vec(),
                Some(&right),
            ),
        ];
        let mut flipped = encrypted.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x01;
        cases.push(("a flipped byte".into(), flipped, Some(&right)));
        for (case, bytes, pass) in cases {
            let err = FileKey::decode(&bytes, pass).expect_err(&case);
            let shown = format!("{err} {err:?}");
            assert_hides(&format!("{what}, {case}"), &shown, &SECRET);
            assert!(!shown.contains("also-not-shown"), "{what}, {case}: {shown}");
        }

        // An unencrypted PKCS#8 file with a byte changed after the secret.
        let mut der = match key.algorithm() {
            Algorithm::Ed25519 => ed25519_pkcs8(&SECRET),
            _ => p256_pkcs8(&SECRET),
        };
        der.push(0x00);
        if let Err(err) = FileKey::decode(&der, None) {
            assert_hides(
                &format!("{what}, trailing byte"),
                &format!("{err} {err:?}"),
                &SECRET,
            );
        }
        let mut der = match key.algorithm() {
            Algorithm::Ed25519 => ed25519_pkcs8(&SECRET),
            _ => p256_pkcs8(&SECRET),
        };
        der[1] ^= 0x40;
        let err = FileKey::decode(&der, None).expect_err("a wrong outer length");
        assert_hides(
            &format!("{what}, bad length"),
            &format!("{err} {err:?}"),
            &SECRET,
        );
    }
}
