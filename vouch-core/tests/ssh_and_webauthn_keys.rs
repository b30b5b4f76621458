//! Public keys as other tools write them: OpenSSH `.pub` lines (OpenSSH's
//! own test data and RustCrypto `ssh-key`'s), and WebAuthn COSE_Key
//! credential keys (W3C WebAuthn L3 test vectors, py_webauthn's real
//! authenticator output), plus the raw signature primitive on real WebAuthn
//! assertions. The assertions are verified once per crypto provider.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use vouch_core::{
    Algorithm, AuthenticatorFlags, Digest, Evidence, FidoAssertion, KeyError, PublicKey, Signature,
    VerifyError,
    provider::{self, CryptoProvider},
};

/// Every provider compiled in, by name.
fn providers() -> Vec<(&'static str, CryptoProvider)> {
    vec![
        ("rust", provider::rust::PROVIDER),
        #[cfg(feature = "aws-lc-rs")]
        ("aws-lc-rs", provider::aws_lc_rs::PROVIDER),
    ]
}

const SUPPORTED_SSH_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// The OpenSSH public key files of a folder, sorted by name (`X.param.pub`
/// in OpenSSH's sshkey data is a hex point, not a key line).
fn pub_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pub"))
        .filter(|p| !p.to_string_lossy().ends_with(".param.pub"))
        .collect();
    files.sort();
    files
}

#[derive(Debug, Default, PartialEq, Eq)]
struct SshCounts {
    parsed: usize,
    refused: usize,
    fingerprints: usize,
}

/// Parses every `.pub` in `dir`: supported types must parse and round-trip,
/// all others must be refused with `UnsupportedSshKeyType`. Returns the
/// parsed keys by file stem.
fn check_pub_folder(dir: &Path, counts: &mut SshCounts) -> Vec<(String, PublicKey)> {
    let mut keys = Vec::new();
    for path in pub_files(dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let line = std::fs::read_to_string(&path).unwrap();
        let mut fields = line.split_ascii_whitespace();
        let kind = fields.next().unwrap();
        let blob = fields.next().unwrap();
        let parsed = PublicKey::from_openssh(&line);
        if !SUPPORTED_SSH_TYPES.contains(&kind) {
            // rsa, nistp384/521, ML-DSA hybrids and every `-cert-v01` type.
            assert_eq!(
                parsed,
                Err(KeyError::UnsupportedSshKeyType(kind.to_owned())),
                "{name}"
            );
            counts.refused += 1;
            continue;
        }
        let key = parsed.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(key.ssh_key_type(), kind, "{name}");
        // Same base64 blob back (comment dropped).
        assert_eq!(key.to_openssh(), format!("{kind} {blob}"), "{name}");
        assert_eq!(
            key.to_canonical_bytes(),
            STANDARD.decode(blob).unwrap(),
            "{name}"
        );
        assert_eq!(PublicKey::from_openssh(&key.to_openssh()).unwrap(), key);
        let expected_alg = if kind.contains("ed25519") {
            Algorithm::Ed25519
        } else {
            Algorithm::Es256
        };
        assert_eq!(key.algorithm(), expected_alg, "{name}");
        if kind.starts_with("sk-") {
            // OpenSSH's own sk keys are scoped to "ssh:"; the webauthn pair
            // was made in a browser for the relying party mindrot.org.
            let app = if name == "ecdsa_sk_webauthn.pub" {
                "mindrot.org"
            } else {
                "ssh:"
            };
            assert_eq!(key.fido_application(), Some(app), "{name}");
        } else {
            assert_eq!(key.fido_application(), None, "{name}");
        }
        let fp = path.with_extension("fp");
        if fp.exists() {
            let expected = std::fs::read_to_string(&fp).unwrap();
            assert_eq!(
                key.key_id().ssh_fingerprint(),
                expected.trim(),
                "{name} fingerprint"
            );
            counts.fingerprints += 1;
        }
        counts.parsed += 1;
        keys.push((name.trim_end_matches(".pub").to_owned(), key));
    }
    keys
}

fn find<'a>(keys: &'a [(String, PublicKey)], stem: &str) -> &'a PublicKey {
    &keys.iter().find(|(n, _)| n == stem).unwrap().1
}

#[test]
fn openssh_sshkey_public_keys() {
    let Some(dir) = vouch_test_support::vector("openssh-sshsig", "sshkey") else {
        return;
    };
    let mut counts = SshCounts::default();
    let keys = check_pub_folder(&dir, &mut counts);
    println!("openssh-sshsig/sshkey: {counts:?}");
    // ed25519_{1,2}, ecdsa_1, {ed25519,ecdsa}_sk{1,2}; refused: ecdsa_2
    // (nistp521) and the four -cert.pub certificates.
    assert_eq!(
        counts,
        SshCounts {
            parsed: 7,
            refused: 5,
            fingerprints: 7
        }
    );
    // A certificate's .fp is the fingerprint of the certified key.
    for stem in ["ed25519_1", "ecdsa_1", "ed25519_sk1", "ecdsa_sk1"] {
        let fp = std::fs::read_to_string(dir.join(format!("{stem}-cert.fp"))).unwrap();
        assert_eq!(find(&keys, stem).key_id().ssh_fingerprint(), fp.trim());
    }
    // The P-256 key's point is the one in ecdsa_1.param.pub.
    let point = std::fs::read_to_string(dir.join("ecdsa_1.param.pub")).unwrap();
    assert_eq!(
        hex::encode(find(&keys, "ecdsa_1").point_bytes()),
        point.trim()
    );
}

#[test]
fn openssh_sshsig_public_keys() {
    let Some(dir) = vouch_test_support::vector("openssh-sshsig", "sshsig") else {
        return;
    };
    let mut counts = SshCounts::default();
    let keys = check_pub_folder(&dir, &mut counts);
    println!("openssh-sshsig/sshsig: {counts:?}");
    // ed25519, ecdsa, ed25519_sk, ecdsa_sk, ecdsa_sk_webauthn; refused: rsa,
    // mldsa44-ed25519. No .fp files here.
    assert_eq!(
        counts,
        SshCounts {
            parsed: 5,
            refused: 2,
            fingerprints: 0
        }
    );
    assert_eq!(keys.len(), 5);
}

#[test]
fn rustcrypto_ssh_key_public_keys() {
    let Some(id_ed25519) = vouch_test_support::vector("rustcrypto-ssh-key", "id_ed25519.pub")
    else {
        return;
    };
    let dir = id_ed25519.parent().unwrap();
    let mut counts = SshCounts::default();
    let keys = check_pub_folder(dir, &mut counts);
    println!("rustcrypto-ssh-key: {counts:?}");
    // id_ed25519, id_ecdsa_p256, id_sk_ed25519{,_2}, id_sk_ecdsa_p256{,_2};
    // refused: id_ecdsa_p384 and six -cert*.pub certificates.
    assert_eq!(
        counts,
        SshCounts {
            parsed: 6,
            refused: 7,
            fingerprints: 0
        }
    );
    // There are no .fp files here: these are what `ssh-keygen -lf` (OpenSSH)
    // prints for each file. (SOURCE.md abbreviates the first as
    // `6WZVJ44b...FFbw`, a typo for `...aNFbw`.)
    for (stem, fp) in [
        (
            "id_ed25519",
            "SHA256:UCUiLr7Pjs9wFFJMDByLgc3NrtdU344OgUM45wZPcIQ",
        ),
        (
            "id_ecdsa_p256",
            "SHA256:JQ6FV0rf7qqJHZqIj4zNH8eV0oB8KLKh9Pph3FTD98g",
        ),
        (
            "id_sk_ed25519",
            "SHA256:6WZVJ44bqhAWLVP4Ns0TDkoSQSsZo/h2K+mEvOaNFbw",
        ),
        (
            "id_sk_ed25519_2",
            "SHA256:6gcI7q24Uf/4jZEyRdzDIZ2x5pW2AxPAQt/lgHoHae0",
        ),
        (
            "id_sk_ecdsa_p256",
            "SHA256:UINe2WXFh3SiqwLxsBv34fBO2ei+g7uOeJJXVEK95iE",
        ),
        (
            "id_sk_ecdsa_p256_2",
            "SHA256:Nr5Bzi7Ic3hQGBVCvfK+iR/kOkrowWXdkScjeJY3FPg",
        ),
    ] {
        assert_eq!(find(&keys, stem).key_id().ssh_fingerprint(), fp, "{stem}");
    }
    // id_sk_ed25519.pub is the same key as OpenSSH's sshkey/ed25519_sk1.pub.
    if let Some(p) = vouch_test_support::vector("openssh-sshsig", "sshkey/ed25519_sk1.pub") {
        let openssh = PublicKey::from_openssh(&std::fs::read_to_string(p).unwrap()).unwrap();
        assert_eq!(find(&keys, "id_sk_ed25519"), &openssh);
    }
}

// ---------------------------------------------------------------- WebAuthn

fn hex_at(v: &Value, pointer: &str) -> Vec<u8> {
    let s = v
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing {pointer}"));
    hex::decode(s).unwrap()
}

fn b64url_at(v: &Value, pointer: &str) -> Vec<u8> {
    let s = v
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing {pointer}"));
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// What parsing a credential key of this COSE algorithm must give.
fn check_cose_key(label: &str, cose_alg: i64, cose: &[u8]) -> Option<PublicKey> {
    let parsed = PublicKey::from_cose_key(cose);
    match cose_alg {
        -7 | -8 => {
            let key = parsed.unwrap_or_else(|e| panic!("{label}: {e:?}"));
            let alg = if cose_alg == -7 {
                Algorithm::Es256
            } else {
                Algorithm::Ed25519
            };
            assert_eq!(key.algorithm(), alg, "{label}");
            assert_eq!(key.algorithm().cose_id(), cose_alg, "{label}");
            assert_eq!(PublicKey::from_cose_key(&key.to_cose_key()).unwrap(), key);
            Some(key)
        }
        // ES384 (P-384), ES512 (P-521), Ed448: a curve vouch does not have.
        -35 | -36 | -53 => {
            assert_eq!(parsed, Err(KeyError::CoseKeyCurve), "{label}");
            None
        }
        // RS256: an RSA key (kty 3).
        -257 => {
            assert_eq!(parsed, Err(KeyError::CoseKeyType), "{label}");
            None
        }
        other => panic!("{label}: no expectation for COSE alg {other}"),
    }
}

/// Verifies a WebAuthn assertion with the raw primitive: signed data =
/// authenticatorData || SHA-256(clientDataJSON), no evidence attached. Then
/// flips the UP bit, which must break the signature. Also checks that core's
/// FIDO vocabulary (a key bound to the RP id, `Evidence::Fido`) describes the
/// same bytes. Each check runs with every provider. Returns the flags byte.
fn check_assertion(
    label: &str,
    key: &PublicKey,
    rp_id: &str,
    auth_data: &[u8],
    client_data_json: &[u8],
    sig: &[u8],
) -> u8 {
    assert_eq!(auth_data.len(), 37, "{label}: no extensions expected");
    assert_eq!(
        &auth_data[..32],
        Digest::sha256(rp_id.as_bytes()).as_bytes(),
        "{label}: rpIdHash"
    );
    let sig = match key.algorithm() {
        Algorithm::Es256 => Signature::from_es256_der(sig).unwrap(),
        _ => Signature::new(key.algorithm(), sig).unwrap(),
    };
    let mut signed = auth_data.to_vec();
    signed.extend_from_slice(Digest::sha256(client_data_json).as_bytes());
    let flags = auth_data[32];
    for (name, p) in providers() {
        assert_eq!(
            key.verify_with(&p, &signed, &sig),
            Ok(()),
            "{label} [{name}]"
        );

        assert_ne!(flags & AuthenticatorFlags::USER_PRESENT, 0, "{label}: UP");
        let mut flipped = signed.clone();
        flipped[32] ^= AuthenticatorFlags::USER_PRESENT;
        assert_eq!(
            key.verify_with(&p, &flipped, &sig),
            Err(VerifyError::BadSignature(key.key_id())),
            "{label} [{name}]: UP bit flipped"
        );

        // The same assertion in vouch's own terms.
        let counter = u32::from_be_bytes(auth_data[33..37].try_into().unwrap());
        let assertion = FidoAssertion::new(rp_id, AuthenticatorFlags(flags), counter);
        assert_eq!(
            assertion.signed_data(client_data_json),
            signed,
            "{label} [{name}]"
        );
        let bound = key.clone().with_fido_application(rp_id).unwrap();
        let with_evidence = sig.clone().with_evidence(Evidence::Fido(assertion.clone()));
        assert_eq!(
            bound.verify_with(&p, client_data_json, &with_evidence),
            Ok(()),
            "{label} [{name}]"
        );
        let mut forged = assertion;
        forged.flags = AuthenticatorFlags(flags ^ AuthenticatorFlags::USER_PRESENT);
        assert!(
            bound
                .verify_with(
                    &p,
                    client_data_json,
                    &sig.clone().with_evidence(Evidence::Fido(forged))
                )
                .is_err(),
            "{label} [{name}]: forged flags"
        );
    }
    flags
}

#[test]
fn w3c_webauthn_credential_keys_and_assertions() {
    let Some(doc) =
        vouch_test_support::vector_json("w3c-webauthn", "webauthn-l3-test-vectors.json")
    else {
        return;
    };
    let rp_id = doc["rp_id"].as_str().unwrap();
    assert_eq!(rp_id, "example.org");
    let (mut keys_parsed, mut keys_refused, mut verified) = (0, 0, 0);
    for v in doc["vectors"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let derived = &v["_derived_by_collector"];
        let cose_alg = derived["cose_alg"].as_i64().unwrap();
        let cose = hex_at(v, "/_derived_by_collector/credentialPublicKey_cose_hex");
        let Some(key) = check_cose_key(id, cose_alg, &cose) else {
            keys_refused += 1;
            continue;
        };
        keys_parsed += 1;
        // These keys are written in canonical CBOR, as vouch writes them.
        assert_eq!(key.to_cose_key(), cose, "{id}");
        // The registration's attested credential data ends with the key.
        assert!(
            hex_at(v, "/_derived_by_collector/registration_authData_hex").ends_with(&cose),
            "{id}"
        );
        let flags = check_assertion(
            id,
            &key,
            rp_id,
            &hex_at(v, "/authentication/authenticatorData"),
            &hex_at(v, "/authentication/clientDataJSON"),
            &hex_at(v, "/authentication/signature"),
        );
        let expected_flags = derived["assertion_flags_byte"].as_str().unwrap();
        assert_eq!(format!("{flags:#04x}"), expected_flags, "{id}");
        verified += 1;
    }
    println!(
        "w3c-webauthn: {keys_parsed} keys parsed, {keys_refused} refused, {verified} assertions verified"
    );
    // 10 ES256 + 1 Ed25519; ES384, ES512, RS256, Ed448 refused.
    assert_eq!((keys_parsed, keys_refused, verified), (11, 4, 11));
}

#[test]
fn py_webauthn_credential_keys_and_assertions() {
    let Some(doc) = vouch_test_support::vector_json("py-webauthn", "assertions.json") else {
        return;
    };
    let (mut keys_parsed, mut keys_refused, mut verified) = (0, 0, 0);
    for a in doc["assertions"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let cose_alg = a["collector_check"]["cose_alg"].as_i64().unwrap();
        let cose = b64url_at(a, "/credential_public_key_cose_b64url");
        let Some(key) = check_cose_key(name, cose_alg, &cose) else {
            keys_refused += 1;
            continue;
        };
        keys_parsed += 1;
        // Every ES256 / Ed25519 signature here is genuine (the one upstream
        // failure among them is a UV policy failure, not a bad signature).
        assert_eq!(a["collector_check"]["signature"], "valid", "{name}");
        let flags = check_assertion(
            name,
            &key,
            a["expected_rp_id"].as_str().unwrap(),
            &b64url_at(a, "/credential/response/authenticatorData"),
            &b64url_at(a, "/credential/response/clientDataJSON"),
            &b64url_at(a, "/credential/response/signature"),
        );
        if name == "test_raises_exception_on_uv_required_but_false" {
            // Valid signature, but UV clear: a policy refuses it, not core.
            assert!(!AuthenticatorFlags(flags).user_verified());
        }
        verified += 1;
    }
    println!(
        "py-webauthn: {keys_parsed} keys parsed, {keys_refused} refused, {verified} assertions verified"
    );
    // 3 ES256 + 1 Ed25519; the 3 RS256 keys refused.
    assert_eq!((keys_parsed, keys_refused, verified), (4, 3, 4));
}
