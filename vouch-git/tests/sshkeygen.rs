//! `vouch_git::sshkeygen`: the `ssh-keygen -Y verify` procedure on inputs
//! in memory (the CLI's `vouch-git-ssh` runs the same steps on files; its
//! tests in vouch-cli run them against stock git and ssh-keygen).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_core::sshsig::{HashAlgorithm, SshSig};
use vouch_core::{Algorithm, Timestamp};
use vouch_git::allowed_signers::{AllowedSigners, SignerRefusal, local_is_utc};
use vouch_git::sshkeygen::{
    self, GoodSignature, MessageError, Request, RevokedKeys, RevokedKeysError, SignerCheck,
    VerifyError,
};
use vouch_keys::FileKey;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn signed(key: &FileKey, message: &[u8]) -> Vec<u8> {
    SshSig::sign(key, "git", message, HashAlgorithm::Sha512)
        .unwrap()
        .to_armored()
        .into_bytes()
}

#[test]
fn verify_runs_every_step_in_order() {
    let alice = FileKey::generate(Algorithm::Ed25519).unwrap();
    let mallory = FileKey::generate(Algorithm::Ed25519).unwrap();
    let sig = signed(&alice, b"the commit");
    let allowed = AllowedSigners::parse(
        format!("alice@example.com {}\n", alice.public_key_line()).as_bytes(),
    )
    .unwrap();
    let none = RevokedKeys::default();
    let mut request = Request {
        namespace: "git",
        signature: &sig,
        revoked: Some(&none),
        signer: Some(SignerCheck {
            allowed: &allowed,
            principal: "alice@example.com",
        }),
        verify_time: t("2026-03-01T12:00:00Z"),
    };
    let verified = sshkeygen::verify(&request, &mut &b"the commit"[..], &local_is_utc).unwrap();
    assert_eq!(verified.public_key(), alice.public_key());
    let good = GoodSignature {
        namespace: "git",
        principal: Some("alice@example.com"),
        key: verified.public_key(),
    };
    assert_eq!(
        good.to_string(),
        format!(
            "Good \"git\" signature for alice@example.com with ED25519 key {}\n",
            alice.public_key().key_id().ssh_fingerprint()
        )
    );

    // Another message: the signature fails before any list is consulted.
    assert!(matches!(
        sshkeygen::verify(&request, &mut &b"another"[..], &local_is_utc),
        Err(VerifyError::Message(MessageError::Signature(_)))
    ));
    // Another principal.
    request.signer = Some(SignerCheck {
        allowed: &allowed,
        principal: "bob@example.com",
    });
    assert!(matches!(
        sshkeygen::verify(&request, &mut &b"the commit"[..], &local_is_utc),
        Err(VerifyError::Signer(SignerRefusal::NoPrincipal(_)))
    ));
    // check-novalidate: no signer list.
    request.signer = None;
    assert!(sshkeygen::verify(&request, &mut &b"the commit"[..], &local_is_utc).is_ok());
    // A revoked key, listed with an options field before it.
    let revoked = RevokedKeys::parse(
        format!(
            "# revoked\n{}\nopts {}\n",
            mallory.public_key_line(),
            alice.public_key_line()
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(revoked.contains(alice.public_key()));
    request.revoked = Some(&revoked);
    assert!(matches!(
        sshkeygen::verify(&request, &mut &b"the commit"[..], &local_is_utc),
        Err(VerifyError::Revoked(r)) if r.key_id == alice.public_key().key_id()
    ));
    // Not a signature at all.
    request.signature = b"not a signature";
    assert!(matches!(
        sshkeygen::verify(&request, &mut &b"the commit"[..], &local_is_utc),
        Err(VerifyError::Parse(_))
    ));
}

#[test]
fn binary_krl_is_refused() {
    assert_eq!(
        RevokedKeys::parse(b"SSHKRL\n\0\0\0\0\x01").unwrap_err(),
        RevokedKeysError::BinaryKrl
    );
}

#[test]
fn find_principals_answers_one_per_line() {
    let alice = FileKey::generate(Algorithm::Ed25519).unwrap();
    let allowed = AllowedSigners::parse(
        format!(
            "alice@example.com,alice@corp.example {}\n",
            alice.public_key_line()
        )
        .as_bytes(),
    )
    .unwrap();
    let entry = allowed
        .find_principals(alice.public_key(), t("2026-03-01T12:00:00Z"), &local_is_utc)
        .unwrap();
    assert_eq!(
        sshkeygen::principals_answer(entry),
        "alice@example.com\nalice@corp.example\n"
    );
}
