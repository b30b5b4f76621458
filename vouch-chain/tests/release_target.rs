//! A released artifact as the chain's target (`Target::Release`): what a
//! registry or a dependency check asks of a package archive.

mod common;

use common::*;
use vouch_chain::{Reason, Target};
use vouch_core::Digest;
use vouch_manifest::ReleaseArchive;

const ARCHIVE: &[u8] = b"shop-api-1.4.0.crate bytes";

fn archive() -> ReleaseArchive {
    ReleaseArchive {
        name: "shop-api-1.4.0.crate".into(),
        format: "crate".into(),
        sha256: Digest::sha256(ARCHIVE),
        sha512: Digest::sha512(ARCHIVE),
    }
}

#[test]
fn a_release_is_found_by_its_archive_digests_and_its_contents_root() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.release.archive = Some(archive());
    let built = scenario.build();
    let verifier = scenario.verifier();
    for target in [
        Digest::sha256(ARCHIVE),
        Digest::sha512(ARCHIVE),
        scenario.release.contents.root(),
    ] {
        let verdict = verifier.verify(&built.bundle, &Target::Release(target), scenario.now);
        assert!(verdict.passed(), "{target}: {}", verdict.render_text());
        // The release's commits were evaluated under the commit stage.
        assert!(
            find_node(verdict.trace(), &alice_commit().to_string()).is_some(),
            "{}",
            verdict.render_text()
        );
    }
    let parsed: Target = format!("release:{}", Digest::sha512(ARCHIVE))
        .parse()
        .unwrap();
    assert_eq!(parsed, Target::Release(Digest::sha512(ARCHIVE)));
}

#[test]
fn an_artifact_no_release_names_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.release.archive = Some(archive());
    let built = scenario.build();
    let other = Digest::sha256(b"another archive");
    let verdict = scenario
        .verifier()
        .verify(&built.bundle, &Target::Release(other), scenario.now);
    expect_failure(
        &verdict,
        "ReleaseArtifactMissing",
        |r| matches!(r, Reason::ReleaseArtifactMissing { artifact } if *artifact == other),
    );
}

#[test]
fn a_subject_the_release_does_not_describe_counts_for_nothing() {
    // Maintainers' keys, an honest release predicate, and a subject naming
    // an archive the predicate does not: the envelope claims the archive,
    // decoding refuses the claim.
    let world = World::new();
    let mut scenario = world.scenario();
    let forged = Digest::sha256(b"malicious archive");
    let envelope = unbound_statement(&scenario.release, forged, &scenario.release_signers);
    scenario.extra_envelopes.push(envelope);
    let built = scenario.build();
    let verdict = scenario
        .verifier()
        .verify(&built.bundle, &Target::Release(forged), scenario.now);
    assert!(!verdict.passed(), "{}", verdict.render_text());
    assert!(
        !reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::ReleaseArtifactMissing { .. })),
        "the decode failure is named: {}",
        verdict.render_text()
    );
}

#[test]
fn the_release_rule_still_decides() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.release.archive = Some(archive());
    // One maintainer where the example policy asks for two.
    scenario.release_signers.truncate(1);
    let built = scenario.build();
    let verdict = scenario.verifier().verify(
        &built.bundle,
        &Target::Release(Digest::sha256(ARCHIVE)),
        scenario.now,
    );
    assert!(!verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn a_policy_without_a_release_stage_cannot_judge_a_release() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.release.archive = Some(archive());
    scenario.policy.release = None;
    let built = scenario.build();
    let target = Digest::sha256(ARCHIVE);
    let verdict = scenario
        .verifier()
        .verify(&built.bundle, &Target::Release(target), scenario.now);
    expect_failure(
        &verdict,
        "NoReleaseStage",
        |r| matches!(r, Reason::NoReleaseStage { artifact } if *artifact == target),
    );
}
