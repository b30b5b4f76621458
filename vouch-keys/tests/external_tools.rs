//! Keys made by the real `ssh-keygen` and `openssl` load, and their public
//! halves match what those tools print; signatures vouch makes verify with
//! `openssl`. A test whose tool is missing prints a SKIP notice and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{TempDir, set_mode};
use vouch_core::{Algorithm, PublicKey, Signer as _};
use vouch_keys::{Error, FileKey, KeyFormat, Passphrase};

/// Whether `tool` runs at all; prints why a test is skipped when it does not.
fn have(tool: &str) -> bool {
    let probe = if tool == "ssh-keygen" {
        // ssh-keygen has no version flag; asking for help exits non-zero but runs.
        Command::new(tool).arg("-?").output()
    } else {
        Command::new(tool).arg("version").output()
    };
    let ok = probe.is_ok();
    if !ok {
        // Under CI a missing tool is a failure, never a test that passes
        // having checked nothing.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`{tool}` is not installed; CI=true forbids skipping this test"
        );
        eprintln!("SKIP: `{tool}` is not installed; install it to run this test");
    }
    ok
}

/// Runs a command, failing the test with its stderr when it fails.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ssh_keygen(dir: &TempDir, name: &str, args: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    run(Command::new("ssh-keygen")
        .args(["-q", "-C", "made by ssh-keygen", "-f"])
        .arg(&path)
        .args(args));
    path
}

/// The public key `ssh-keygen -y` derives from a private key file.
fn ssh_public(path: &Path, passphrase: &str) -> PublicKey {
    let line = run(Command::new("ssh-keygen")
        .args(["-y", "-P", passphrase, "-f"])
        .arg(path));
    PublicKey::parse_any(line.trim().as_bytes()).unwrap()
}

/// The public key `openssl pkey -pubout` derives from a private key file.
fn openssl_public(path: &Path) -> PublicKey {
    let pem = run(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(path));
    PublicKey::parse_any(pem.as_bytes()).unwrap()
}

#[test]
fn ssh_keygen_keys_load_and_match() {
    if !have("ssh-keygen") {
        return;
    }
    let dir = TempDir::new("ssh-keygen");
    let cases: [(&str, &[&str], Algorithm, KeyFormat); 4] = [
        (
            "ed25519",
            &["-t", "ed25519", "-N", ""],
            Algorithm::Ed25519,
            KeyFormat::OpenSsh,
        ),
        (
            "ecdsa",
            &["-t", "ecdsa", "-b", "256", "-N", ""],
            Algorithm::Es256,
            KeyFormat::OpenSsh,
        ),
        (
            "ecdsa-pem",
            &["-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", ""],
            Algorithm::Es256,
            KeyFormat::Sec1,
        ),
        (
            "ecdsa-pkcs8",
            &["-t", "ecdsa", "-b", "256", "-m", "PKCS8", "-N", ""],
            Algorithm::Es256,
            KeyFormat::Pkcs8,
        ),
    ];
    for (name, args, alg, format) in cases {
        let path = ssh_keygen(&dir, name, args);
        let key = FileKey::load(&path, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.algorithm(), alg, "{name}");
        assert_eq!(key.public_key(), &ssh_public(&path, ""), "{name}");
        let pub_file = std::fs::read(path.with_extension("pub")).unwrap();
        assert_eq!(
            key.public_key(),
            &PublicKey::parse_any(&pub_file).unwrap(),
            "{name}"
        );
        if format == KeyFormat::OpenSsh {
            assert_eq!(key.comment(), "made by ssh-keygen", "{name}");
        }
    }
}

#[test]
fn passphrase_protected_ssh_keygen_keys_decrypt() {
    if !have("ssh-keygen") {
        return;
    }
    let dir = TempDir::new("ssh-keygen-pw");
    for (name, alg) in [("ed25519", "ed25519"), ("ecdsa", "ecdsa")] {
        let path = ssh_keygen(&dir, name, &["-t", alg, "-N", "tr0ub4dor"]);
        let key = FileKey::load(&path, Some(&Passphrase::new("tr0ub4dor"))).unwrap();
        assert_eq!(key.public_key(), &ssh_public(&path, "tr0ub4dor"));
        assert!(matches!(
            FileKey::load(&path, Some(&Passphrase::new("tr0ub4dor!"))),
            Err(Error::WrongPassphrase { .. })
        ));
        assert!(matches!(
            FileKey::load(&path, None),
            Err(Error::PassphraseRequired { .. })
        ));
    }
}

#[test]
fn ssh_keygen_reads_vouch_public_keys_with_the_same_fingerprint() {
    if !have("ssh-keygen") {
        return;
    }
    let dir = TempDir::new("ssh-keygen-fp");
    for alg in [Algorithm::Ed25519, Algorithm::Es256] {
        let key = FileKey::generate(alg).unwrap();
        let path = dir.join(&format!("{alg}.pub"));
        key.save_public(&path).unwrap();
        let out = run(Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(&path));
        // "256 SHA256:... comment (ED25519)"
        assert_eq!(
            out.split_whitespace().nth(1),
            Some(key.key_id().ssh_fingerprint().as_str()),
            "{out}"
        );
    }
}

#[test]
fn openssl_keys_load_and_match() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("openssl");
    let genpkey = |name: &str, args: &[&str]| {
        let path = dir.join(name);
        run(Command::new("openssl")
            .arg("genpkey")
            .args(args)
            .arg("-out")
            .arg(&path));
        // OpenSSL 3 writes 0600 already; older versions follow the umask.
        set_mode(&path, 0o600);
        path
    };
    let ed = genpkey("ed25519.pem", &["-algorithm", "ed25519"]);
    let ec = genpkey(
        "p256.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    for (path, alg) in [(&ed, Algorithm::Ed25519), (&ec, Algorithm::Es256)] {
        assert!(
            std::fs::read_to_string(path)
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        let key = FileKey::load(path, None).unwrap();
        assert_eq!(key.algorithm(), alg);
        assert_eq!(key.public_key(), &openssl_public(path));

        // The same key as DER.
        let der = dir.join(&format!("{alg}.der"));
        run(Command::new("openssl")
            .args(["pkey", "-outform", "DER", "-in"])
            .arg(path)
            .arg("-out")
            .arg(&der));
        set_mode(&der, 0o600);
        assert_eq!(
            FileKey::load(&der, None).unwrap().public_key(),
            key.public_key()
        );
    }

    // The P-256 key in SEC1 ("traditional") form.
    let sec1 = dir.join("p256-sec1.pem");
    run(Command::new("openssl")
        .args(["ec", "-in"])
        .arg(&ec)
        .arg("-out")
        .arg(&sec1));
    set_mode(&sec1, 0o600);
    assert!(
        std::fs::read_to_string(&sec1)
            .unwrap()
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );
    assert_eq!(
        FileKey::load(&sec1, None).unwrap().public_key(),
        &openssl_public(&ec)
    );

    // Other curves and encrypted PKCS#8 are refused by name.
    let p384 = genpkey(
        "p384.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    match FileKey::load(&p384, None) {
        Err(Error::UnsupportedKeyType {
            format: KeyFormat::Pkcs8,
            key_type,
            ..
        }) => assert!(key_type.contains("P-384"), "{key_type}"),
        other => panic!("{other:?}"),
    }
    let encrypted = genpkey(
        "enc.pem",
        &["-algorithm", "ed25519", "-aes-256-cbc", "-pass", "pass:x"],
    );
    assert!(matches!(
        FileKey::load(&encrypted, Some(&Passphrase::new("x"))),
        Err(Error::UnsupportedEncryption { .. })
    ));
}

#[test]
fn openssl_verifies_what_file_keys_sign() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("openssl-verify");
    let msg = dir.join("msg");
    std::fs::write(&msg, b"vouch interop message").unwrap();
    for alg in [Algorithm::Ed25519, Algorithm::Es256] {
        let key = FileKey::generate(alg).unwrap();
        let public = dir.join(&format!("{alg}-pub.pem"));
        std::fs::write(&public, key.public_key().to_spki_pem().unwrap()).unwrap();
        let sig = key.try_sign(b"vouch interop message").unwrap();
        let sig_file = dir.join(&format!("{alg}.sig"));
        let mut cmd = Command::new("openssl");
        match alg {
            Algorithm::Ed25519 => {
                std::fs::write(&sig_file, sig.value()).unwrap();
                cmd.args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
                    .arg(&public)
                    .arg("-in")
                    .arg(&msg)
                    .arg("-sigfile")
                    .arg(&sig_file);
            }
            _ => {
                std::fs::write(&sig_file, sig.to_es256_der().unwrap()).unwrap();
                cmd.args(["dgst", "-sha256", "-verify"])
                    .arg(&public)
                    .arg("-signature")
                    .arg(&sig_file)
                    .arg(&msg);
            }
        }
        let out = run(&mut cmd);
        assert!(out.contains("Verified"), "{alg}: {out}");
    }
}
