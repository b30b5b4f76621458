#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Commits proven by the SSH signature inside the git commit object (as
//! `git commit -S` makes it), carried raw in the bundle.

mod common;

use common::*;
use vouch_chain::{Reason, Target};
use vouch_core::Signer;
use vouch_core::sshsig::{self, HashAlgorithm};
use vouch_git::commit::{CommitObject, ObjectFormat};
use vouch_manifest::GitObjectId;

/// A commit object signed as git does: the SSHSIG over the object without
/// its `gpgsig` header, in namespace `git`, inserted after `committer`.
fn signed_object(signer: &dyn Signer, message: &str, unix_time: i64) -> (GitObjectId, Vec<u8>) {
    let headers = format!(
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
         author Alice <alice@example.com> {unix_time} +0100\n\
         committer Alice <alice@example.com> {unix_time} +0100\n"
    );
    let payload = format!("{headers}\n{message}\n");
    let sig = sshsig::sign(signer, "git", payload.as_bytes(), HashAlgorithm::Sha512).unwrap();
    let gpgsig = sig.trim_end().lines().collect::<Vec<_>>().join("\n ");
    let raw = format!("{headers}gpgsig {gpgsig}\n\n{message}\n").into_bytes();
    let obj = CommitObject::parse(&raw, ObjectFormat::Sha1).unwrap();
    assert_eq!(
        obj.payload(),
        payload.as_bytes(),
        "git's payload is the object without gpgsig"
    );
    (obj.id().clone(), raw)
}

fn alice_time() -> i64 {
    t(ALICE_COMMIT_AT).unix_seconds()
}

/// Builds the happy path with Alice's commit proven by an object that
/// `signer` signed; `alter` may change the object's bytes before bundling.
fn verdict_with_object(
    w: &World,
    signer: &dyn Signer,
    alter: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> (vouch_chain::Verdict, GitObjectId) {
    let mut s = w.scenario();
    let (oid, raw) = signed_object(signer, "add the checkout endpoint", alice_time());
    s.use_object_for_alice(&oid, alter(raw));
    let built = s.build();
    let verdict = s
        .verifier()
        .verify(&built.bundle, &Target::Deployment(built.deployment), s.now);
    (verdict, oid)
}

#[test]
fn a_signed_commit_object_proves_its_commit() {
    let w = World::new();
    let (verdict, oid) = verdict_with_object(&w, &w.alice, |raw| raw);
    assert!(verdict.passed(), "{}", verdict.render_text());
    let node = find_node(verdict.trace(), oid.as_str()).unwrap();
    assert_eq!(node.signers[0].identity, id(ALICE));
    assert_eq!(node.signers[0].capacity, "signed the commit object");
}

#[test]
fn an_altered_object_proves_nothing() {
    let w = World::new();
    // Change the message: the object now has another id, so the listed one is unproven.
    let (verdict, oid) = verdict_with_object(&w, &w.alice, |raw| {
        String::from_utf8(raw)
            .unwrap()
            .replace("checkout", "backdoor")
            .into_bytes()
    });
    assert!(!verdict.passed());
    assert!(
        reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::CommitUnsigned { commit } if *commit == oid))
    );
}

#[test]
fn an_object_without_user_presence_is_refused() {
    let w = World::new();
    let (verdict, _) = verdict_with_object(&w, &w.alice_untouched, |raw| raw);
    assert!(!verdict.passed());
    assert!(reasons(&verdict).iter().any(|r| matches!(
        r,
        Reason::MissingHardware {
            requirement: vouch_chain::HardwareRequirement::UserPresence,
            ..
        }
    )));
}

#[test]
fn an_object_signed_by_a_stranger_is_refused() {
    let w = World::new();
    let (verdict, _) = verdict_with_object(&w, &w.mallory, |raw| raw);
    assert!(!verdict.passed());
    assert!(
        reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::UnknownKey { key_id } if *key_id == w.mallory.key_id()))
    );
}

/// The counter rule reads the FIDO counters inside commit objects too: a
/// later approval whose counter is below the commit object's is refused,
/// naming the object.
#[test]
fn counters_in_commit_objects_take_part_in_the_counter_rule() {
    let w = World::new();
    let ahead = w.alice.with_counter(100, 1);
    let mut s = w.scenario();
    s.policy.fido.counter = vouch_chain::policy::CounterRule::Increasing;
    let (oid, raw) = signed_object(&ahead, "add the checkout endpoint", alice_time());
    s.use_object_for_alice(&oid, raw);
    let built = s.build();
    let verdict = s
        .verifier()
        .verify(&built.bundle, &Target::Deployment(built.deployment), s.now);
    let f = expect_failure(&verdict, "counter not increasing", |r| {
        matches!(
            r,
            Reason::CounterNotIncreasing {
                earlier_counter: 100,
                ..
            }
        )
    });
    let Reason::CounterNotIncreasing { earlier, .. } = &f.reason else {
        unreachable!()
    };
    assert_eq!(*earlier, format!("commit object {oid}"));
}
