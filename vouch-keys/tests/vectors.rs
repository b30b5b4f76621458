//! Keys written by other tools, from the public vectors: OpenSSH's own
//! sshkey test keys (OpenSSH format, SEC1 PEM, encrypted variants, FIDO key
//! handles) and the RustCrypto ssh-key examples.
//!
//! The vector files are world-readable, which vouch refuses for private
//! keys; each test copies the file to a private temporary file (mode 0600)
//! first, and one test checks that the original is refused as it is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, private_copy};
use vouch_core::{Algorithm, PublicKey, Signer as _};
use vouch_keys::{Error, FileKey, KeyFormat, Passphrase};
use vouch_test_support::vector;

const OPENSSH: &str = "openssh-sshsig";
const RUSTCRYPTO: &str = "rustcrypto-ssh-key";

fn read_text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap().trim().to_owned()
}

fn with_ext(p: &Path, ext: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

/// Loads a vector key from a private copy and checks it against the `.pub`
/// file and, when there is one, the `.fp` fingerprint.
fn check_vector(
    set: &str,
    name: &str,
    alg: Algorithm,
    passphrase: Option<&Passphrase>,
) -> Option<FileKey> {
    let src = vector(set, name)?;
    let dir = TempDir::new("vectors");
    let key = FileKey::load(private_copy(&dir, &src), passphrase)
        .unwrap_or_else(|e| panic!("{name}: {e} ({e:?})"));
    assert_eq!(key.algorithm(), alg, "{name}");

    let pub_line = read_text(&with_ext(&src, ".pub"));
    let public = PublicKey::parse_any(pub_line.as_bytes()).unwrap();
    assert_eq!(key.public_key(), &public, "{name}");

    let fp = with_ext(&src, ".fp");
    if fp.exists() {
        assert_eq!(key.key_id().ssh_fingerprint(), read_text(&fp), "{name}");
    }

    // The loaded key signs, and its own public key verifies.
    let sig = key.try_sign(b"vector").unwrap();
    public.verify(b"vector", &sig).unwrap();
    Some(key)
}

#[test]
fn openssh_format_ed25519_keys_load() {
    for name in ["sshkey/ed25519_1", "sshkey/ed25519_2"] {
        let Some(key) = check_vector(OPENSSH, name, Algorithm::Ed25519, None) else {
            return;
        };
        // OpenSSH keeps the comment inside the private key file too (both
        // upstream keys say "#1").
        assert_eq!(key.comment(), "ED25519 test key #1");
    }
}

#[test]
fn sec1_pem_p256_key_loads_and_matches_its_parameters() {
    let Some(key) = check_vector(OPENSSH, "sshkey/ecdsa_1", Algorithm::Es256, None) else {
        return;
    };
    let point = read_text(&vector(OPENSSH, "sshkey/ecdsa_1.param.pub").unwrap());
    assert_eq!(hex::encode(key.public_key().point_bytes()), point);
    // The private scalar is published beside the key: make sure Debug never
    // shows it (the file stores it with a leading zero byte, so drop that).
    let scalar = read_text(&vector(OPENSSH, "sshkey/ecdsa_1.param.priv").unwrap());
    let scalar = scalar.trim_start_matches("00");
    assert_eq!(scalar.len(), 64);
    let shown = format!("{key:?} {key:#?}");
    assert!(
        !shown.contains(scalar) && !shown.contains(&scalar[..16]),
        "{shown}"
    );
}

#[test]
fn encrypted_openssh_key_decrypts_with_its_passphrase() {
    let Some(pw) = vector(OPENSSH, "sshkey/pw") else {
        return;
    };
    let pass = Passphrase::new(read_text(&pw));
    let plain = check_vector(OPENSSH, "sshkey/ed25519_1", Algorithm::Ed25519, None).unwrap();
    let src = vector(OPENSSH, "sshkey/ed25519_1_pw").unwrap();
    let dir = TempDir::new("vectors-pw");
    let path = private_copy(&dir, &src);

    let key = FileKey::load(&path, Some(&pass)).unwrap();
    assert_eq!(key.public_key(), plain.public_key());
    assert_eq!(
        key.try_sign(b"same").unwrap(),
        plain.try_sign(b"same").unwrap(),
        "Ed25519 is deterministic: same secret, same signature"
    );

    match FileKey::load(&path, Some(&Passphrase::new("not it"))) {
        Err(Error::WrongPassphrase { key_id, .. }) => assert_eq!(key_id, Some(plain.key_id())),
        other => panic!("{other:?}"),
    }
    match FileKey::load(&path, None) {
        Err(Error::PassphraseRequired {
            format: KeyFormat::OpenSsh,
            key_id,
            ..
        }) => assert_eq!(key_id, Some(plain.key_id())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hostile_bcrypt_rounds_are_refused_before_any_work() {
    let Some(src) = vector(OPENSSH, "sshkey/ed25519_1_pw") else {
        return;
    };
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = std::fs::read_to_string(src).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut raw = b64.decode(body).unwrap();
    // "openssh-key-v1\0", string "aes256-ctr", string "bcrypt", then the
    // KDF options: u32 length, string salt (16 bytes), u32 rounds.
    let rounds_at = 15 + (4 + 10) + (4 + 6) + 4 + (4 + 16);
    assert_eq!(&raw[rounds_at..rounds_at + 4], &16u32.to_be_bytes());
    raw[rounds_at..rounds_at + 4].copy_from_slice(&(1u32 << 24).to_be_bytes());
    let hostile = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        b64.encode(raw)
    );
    let started = std::time::Instant::now();
    match FileKey::decode(hostile.as_bytes(), Some(&Passphrase::new("mekmitasdigoat"))) {
        Err(Error::KdfLimit { value, limit, .. }) => {
            assert_eq!(value, 1 << 24);
            assert!(limit < value);
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn unsupported_vector_keys_are_refused_clearly() {
    let Some(_) = vector(OPENSSH, "sshkey/ecdsa_2") else {
        return;
    };
    let dir = TempDir::new("vectors-unsupported");
    let load = |name: &str| {
        let path = private_copy(&dir, &vector(OPENSSH, name).unwrap());
        FileKey::load(path, Some(&Passphrase::new("mekmitasdigoat")))
    };
    // ecdsa_2 is on P-521.
    match load("sshkey/ecdsa_2") {
        Err(Error::UnsupportedKeyType {
            format: KeyFormat::Sec1,
            key_type,
            ..
        }) => assert!(key_type.contains("P-521"), "{key_type}"),
        other => panic!("{other:?}"),
    }
    // OpenSSL's legacy PEM encryption.
    match load("sshkey/ecdsa_1_pw") {
        Err(e @ Error::UnsupportedEncryption { .. }) => {
            assert!(e.to_string().contains("AES-128-CBC"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // FIDO key handles are not file keys, encrypted or not.
    for name in [
        "sshkey/ed25519_sk1",
        "sshkey/ecdsa_sk1",
        "sshkey/ecdsa_sk1_pw",
    ] {
        match load(name) {
            Err(Error::UnsupportedKeyType {
                format: KeyFormat::OpenSsh,
                key_type,
                ..
            }) => assert!(key_type.starts_with("sk-"), "{name}: {key_type}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn rustcrypto_examples_load() {
    check_vector(RUSTCRYPTO, "id_ed25519", Algorithm::Ed25519, None);
    if let Some(key) = check_vector(RUSTCRYPTO, "id_ecdsa_p256", Algorithm::Es256, None) {
        assert_eq!(key.comment(), "user@example.com");
    }
}

#[test]
fn vector_files_as_shipped_are_refused_for_their_mode() {
    let Some(src) = vector(OPENSSH, "sshkey/ed25519_1") else {
        return;
    };
    if common::mode(&src) & 0o077 == 0 {
        eprintln!("SKIP: {} is private in this checkout", src.display());
        return;
    }
    match FileKey::load(&src, None) {
        Err(Error::InsecurePermissions { path, mode }) => {
            assert_eq!(path, src);
            assert_ne!(mode & 0o077, 0);
        }
        other => panic!("{other:?}"),
    }
}
