//! The `fido` backend against OpenSSH's own software security key
//! (sk-dummy.so, named by `VOUCH_SK_DUMMY`; `./scripts/test` provides it):
//! stock ssh-keygen makes the credential and signs, vouch-core verifies.
//! With `VOUCH_FIDO_DEVICE=1` the same runs against a real device (touch it).

#![cfg(feature = "fido")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_core::cose::Sign;
use vouch_core::fido::EnrollmentAttestation;
use vouch_core::sshsig::HashAlgorithm;
use vouch_core::{Algorithm, Evidence, PublicKey, STATEMENT_NAMESPACE, Signer};
use vouch_keys::KeyRef;
use vouch_keys::fido::{FidoCallbacks, FidoKey, FidoOptions};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-fido-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The middleware to use: a real device, or sk-dummy; `None` skips.
fn options() -> Option<FidoOptions> {
    if std::env::var_os("VOUCH_FIDO_DEVICE").is_some() {
        return Some(FidoOptions::default());
    }
    let provider = vouch_test_support::git::sk_dummy("the fido backend")?;
    Some(FidoOptions {
        provider: Some(provider),
        ..FidoOptions::default()
    })
}

/// Counts the touch requests.
#[derive(Default)]
struct Touches(AtomicUsize);

impl FidoCallbacks for Touches {
    fn touch(&self, _key: &PublicKey) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn ssh_keygen_credentials_sign_statements_and_commits() {
    let Some(options) = options() else { return };
    let dir = scratch("sign");
    for algorithm in [Algorithm::Ed25519, Algorithm::Es256] {
        let stub = dir.join(format!("{algorithm:?}.stub"));
        let enrolled = FidoKey::generate(&stub, algorithm, "ssh:", false, options.clone()).unwrap();
        assert_eq!(enrolled.key.public_key().algorithm(), algorithm);
        assert_eq!(enrolled.key.public_key().fido_application(), Some("ssh:"));
        // The attestation file parses (sk-dummy's is empty: unattested).
        let att =
            EnrollmentAttestation::openssh(&enrolled.attestation, &enrolled.challenge).unwrap();
        if options.provider.is_some() {
            assert!(att.is_empty());
        }
        // Making it again over the same stub is refused.
        assert!(FidoKey::generate(&stub, algorithm, "ssh:", false, options.clone()).is_err());

        let touches = Arc::new(Touches::default());
        let key = FidoKey::open(&stub, options.clone(), touches.clone()).unwrap();
        let mut envelope = Sign::new(
            "application/vnd.vouch.statement+cbor",
            b"a statement".to_vec(),
        )
        .unwrap();
        envelope.add_signature(&key).unwrap();
        let public = key.public_key().clone();
        let verified = envelope
            .verify(|k| (*k == public.key_id()).then_some(&public))
            .unwrap();
        let signer = &verified.signers()[0];
        let Some(Evidence::Fido(a)) = signer.evidence() else {
            panic!("no FIDO evidence")
        };
        assert!(a.flags.user_present());
        assert_eq!(a.sshsig.as_ref().unwrap().namespace, STATEMENT_NAMESPACE);
        if options.provider.is_some() {
            assert_eq!(a.counter, 0x1234_5678, "sk-dummy's fixed counter");
        }
        assert_eq!(touches.0.load(Ordering::Relaxed), 1);

        // Another payload under the same signature fails.
        let bytes = envelope.to_bytes().unwrap();
        let mut other =
            Sign::new("application/vnd.vouch.statement+cbor", b"another".to_vec()).unwrap();
        other.add_signature(&key).unwrap();
        assert_ne!(bytes, other.to_bytes().unwrap());

        // A commit signature: a plain SSHSIG in namespace git.
        let sig = key
            .sign_sshsig("git", HashAlgorithm::Sha512, b"tree 4b825dc\n")
            .unwrap();
        sig.verify("git", b"tree 4b825dc\n").unwrap();
        assert!(sig.verify("file", b"tree 4b825dc\n").is_err());

        // The key reference opens the same credential.
        let r: KeyRef = format!("fido:{}", stub.display()).parse().unwrap();
        if options.provider.is_none() {
            let opened = r.open(None).unwrap();
            assert_eq!(opened.public_key(), &public);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stubs_that_are_not_security_keys_are_refused() {
    let dir = scratch("refuse");
    let stub = dir.join("plain");
    std::fs::write(&stub, "not a key").unwrap();
    let plain = vouch_keys::FileKey::generate(Algorithm::Ed25519).unwrap();
    std::fs::write(dir.join("plain.pub"), plain.public_key().to_openssh()).unwrap();
    let e = FidoKey::open(
        &stub,
        FidoOptions::default(),
        Arc::new(vouch_keys::fido::Silent),
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a security-key"), "{e}");
    let e = FidoKey::generate(
        &dir.join("x"),
        Algorithm::Ed25519,
        "https://example.com",
        false,
        FidoOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("must start with ssh:"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Hands out a fixed PIN.
struct Pin(&'static str);

impl FidoCallbacks for Pin {
    fn touch(&self, _key: &PublicKey) {}

    fn pin(&self, _key: &PublicKey) -> Option<vouch_keys::Passphrase> {
        Some(vouch_keys::Passphrase::new(self.0))
    }
}

/// A key made with user verification required: the callbacks' PIN reaches
/// ssh-keygen through the askpass program, for every signature, and the
/// device's counter is recorded beside the stub.
#[test]
fn the_callbacks_pin_reaches_ssh_keygen() {
    let Some(provider) = vouch_test_support::git::sk_dummy("security-key PINs") else {
        return;
    };
    let dir = scratch("pin");
    // An askpass program that records what it was asked and answers as
    // the vouch binaries do.
    let askpass = dir.join("askpass.sh");
    let log = dir.join("askpass.log");
    std::fs::write(
        &askpass,
        format!(
            "#!/bin/sh\n[ \"$VOUCH_ASKPASS\" = 1 ] || exit 1\nprintf '%s|%s\\n' \"$1\" \"$VOUCH_ASKPASS_PIN\" >> '{}'\nprintf '%s\\n' \"$VOUCH_ASKPASS_PIN\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = FidoOptions {
        provider: Some(provider),
        askpass: Some(askpass),
        ..FidoOptions::default()
    };
    let stub = dir.join("uv.stub");
    FidoKey::generate(&stub, Algorithm::Es256, "ssh:", true, options.clone()).unwrap();
    let key = FidoKey::open(&stub, options, Arc::new(Pin("271828"))).unwrap();
    assert!(key.state().require_uv);
    assert_eq!(key.state().last_counter, None);
    key.try_sign(b"statement one").unwrap();
    key.try_sign(b"statement two").unwrap();
    let asked = std::fs::read_to_string(&log).unwrap();
    assert_eq!(asked.lines().count(), 2, "{asked}");
    for line in asked.lines() {
        assert!(line.starts_with("Enter PIN for ECDSA-SK key"), "{line}");
        assert!(line.ends_with("|271828"), "{line}");
    }
    assert_eq!(key.state().last_counter, Some(0x1234_5678));
    let reopened = FidoKey::open(
        &stub,
        FidoOptions::default(),
        Arc::new(vouch_keys::fido::Silent),
    )
    .unwrap();
    assert_eq!(reopened.state().last_counter, Some(0x1234_5678));
    std::fs::remove_dir_all(&dir).unwrap();
}
