#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `[release] require_tag`: the release names its git tag, and the tag
//! object in the bundle has that name, points at the release's head
//! commit, and is signed (SSH, or OpenPGP with stock gpg) by a certifier.

mod common;

use common::*;
use vouch_chain::Reason;
use vouch_core::Signer;
use vouch_core::sshsig::{self, HashAlgorithm};
use vouch_git::commit::ObjectFormat;
use vouch_git::tag::TagObject;
use vouch_manifest::{GitObjectId, ReleaseTag};

/// A tag object as `git tag -s` with `gpg.format=ssh` makes it.
fn ssh_tag(signer: &dyn Signer, name: &str, object: &GitObjectId) -> (GitObjectId, Vec<u8>) {
    let at = t(RELEASED_AT).unix_seconds();
    let payload = format!(
        "object {object}\ntype commit\ntag {name}\ntagger Carol <carol@example.com> {at} +0000\n\nrelease {name}\n"
    );
    let sig = sshsig::sign(signer, "git", payload.as_bytes(), HashAlgorithm::Sha512).unwrap();
    let raw = format!("{payload}{sig}").into_bytes();
    let tag = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
    assert_eq!(tag.payload(), payload.as_bytes());
    (tag.id().clone(), raw)
}

fn run_with_tag(
    w: &World,
    name_in_release: &str,
    tag: (GitObjectId, Vec<u8>),
    in_bundle: bool,
) -> vouch_chain::Verdict {
    let mut s = w.scenario();
    s.policy.release.as_mut().unwrap().require_tag = true;
    s.release.tag = Some(ReleaseTag {
        name: name_in_release.into(),
        object: tag.0,
    });
    let built = s.build();
    let mut bundle = built.bundle;
    if in_bundle {
        bundle.add_tag_object(tag.1);
    }
    // Through the file form, as a verifier receives it.
    let bundle = vouch_chain::Bundle::from_bytes(&bundle.to_bytes().unwrap()).unwrap();
    s.verifier().verify(
        &bundle,
        &vouch_chain::Target::Deployment(built.deployment),
        s.now,
    )
}

#[test]
fn a_tag_signed_by_a_certifier_at_the_head_passes() {
    let w = World::new();
    let v = run_with_tag(
        &w,
        "v1.4.0",
        ssh_tag(&w.carol, "v1.4.0", &bob_commit()),
        true,
    );
    assert!(v.passed(), "{}", v.render_text());
    assert!(
        v.render_text().contains("signed the release tag"),
        "{}",
        v.render_text()
    );
}

#[test]
fn each_tag_failure_has_its_reason() {
    let w = World::new();
    // Signed by someone who did not certify the release.
    let v = run_with_tag(
        &w,
        "v1.4.0",
        ssh_tag(&w.erin, "v1.4.0", &bob_commit()),
        true,
    );
    assert!(reasons(&v).iter().any(|r| matches!(
        r,
        Reason::ReleaseTagNotByCertifier { signer, tag, .. } if *signer == id(ERIN) && tag == "v1.4.0"
    )), "{}", v.render_text());
    // Pointing at another commit than the head (Bob's commit).
    let v = run_with_tag(
        &w,
        "v1.4.0",
        ssh_tag(&w.carol, "v1.4.0", &alice_commit()),
        true,
    );
    assert!(
        reasons(&v).iter().any(|r| matches!(
            r,
            Reason::ReleaseTagTarget { head: Some(h), .. } if *h == bob_commit()
        )),
        "{}",
        v.render_text()
    );
    // A name other than the release gives.
    let v = run_with_tag(
        &w,
        "v1.4.0",
        ssh_tag(&w.carol, "v1.4.1", &bob_commit()),
        true,
    );
    assert!(reasons(&v).iter().any(|r| matches!(
        r,
        Reason::ReleaseTagName { expected, found, .. } if expected == "v1.4.0" && found == "v1.4.1"
    )), "{}", v.render_text());
    // Not in the bundle.
    let v = run_with_tag(
        &w,
        "v1.4.0",
        ssh_tag(&w.carol, "v1.4.0", &bob_commit()),
        false,
    );
    assert!(
        reasons(&v).iter().any(|r| matches!(
            r,
            Reason::ReleaseTagMissing {
                tag: Some(_),
                problem: None,
                ..
            }
        )),
        "{}",
        v.render_text()
    );
    // A stranger's key: not in the roster.
    let v = run_with_tag(
        &w,
        "v1.4.0",
        ssh_tag(&w.mallory, "v1.4.0", &bob_commit()),
        true,
    );
    assert!(!v.passed());
    assert!(
        reasons(&v)
            .iter()
            .any(|r| matches!(r, Reason::ReleaseTagSignature { .. })),
        "{}",
        v.render_text()
    );
    // An altered tag object: another id, so the named one is missing.
    let (oid, raw) = ssh_tag(&w.carol, "v1.4.0", &bob_commit());
    let altered = String::from_utf8(raw)
        .unwrap()
        .replace("release v1.4.0", "release v6.6.6");
    let v = run_with_tag(&w, "v1.4.0", (oid, altered.into_bytes()), true);
    assert!(
        reasons(&v)
            .iter()
            .any(|r| matches!(r, Reason::ReleaseTagMissing { .. }))
    );
    // A release that names no tag.
    let mut s = w.scenario();
    s.policy.release.as_mut().unwrap().require_tag = true;
    let (v, _) = s.run();
    assert!(
        reasons(&v)
            .iter()
            .any(|r| matches!(r, Reason::ReleaseTagMissing { tag: None, .. }))
    );
}

#[cfg(feature = "openpgp")]
#[test]
fn an_openpgp_signed_tag_by_a_certifier_passes() {
    use vouch_manifest::{OpenPgpCertBytes, OpenPgpKey};
    use vouch_test_support::gpg::Gpg;
    if !vouch_test_support::gpg::tools_available("release tag tests", "OpenPGP-signed tags") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vouch-chain-tag-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let gpg = Gpg::new(&dir);
    let fpr = gpg.gen_key("Carol <carol@example.com>", "ed25519");
    let at = t(RELEASED_AT).unix_seconds();
    let payload = format!(
        "object {}\ntype commit\ntag v1.4.0\ntagger Carol <carol@example.com> {at} +0000\n\nrelease\n",
        bob_commit()
    );
    let sig = gpg.detach_sign(&fpr, "SHA256", payload.as_bytes());
    let raw = [payload.as_bytes(), &sig].concat();
    let tag = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
    let w = World::new();
    let mut s = w.scenario();
    s.policy.release.as_mut().unwrap().require_tag = true;
    s.release.tag = Some(ReleaseTag {
        name: "v1.4.0".into(),
        object: tag.id().clone(),
    });
    identity_mut(&mut s.roster, CAROL)
        .openpgp_keys
        .push(OpenPgpKey::new(
            fpr.parse().unwrap(),
            OpenPgpCertBytes::parse(gpg.export(&fpr).as_bytes()).unwrap(),
            t("2026-01-01T00:00:00Z"),
        ));
    let built = s.build();
    let mut bundle = built.bundle;
    bundle.add_tag_object(raw);
    let v = s.verifier().verify(
        &bundle,
        &vouch_chain::Target::Deployment(built.deployment),
        s.now,
    );
    assert!(v.passed(), "{}", v.render_text());
}
