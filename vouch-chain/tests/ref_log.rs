//! The release stage's reference-log rule (`[release] ref_log`): certified
//! commits must come in through a logged update of a protected ref, and the
//! log up to it must verify.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vouch_chain::{Bundle, Policy, Reason, Target, Verifier};
use vouch_git::commit::{ObjectFormat, object_id};
use vouch_manifest::{
    CertifiedCommit, GitObjectId, RefLogAction, Release, RepoPolicy, Signed, tree::TreeManifest,
};
use vouch_test_support::repo::{ALICE, MALLORY, REPOSITORY, Repo, sign, update, zero};

fn raw_commit(parent: Option<&GitObjectId>, message: &str) -> (GitObjectId, Vec<u8>) {
    let mut raw = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n".to_owned();
    if let Some(p) = parent {
        raw.push_str(&format!("parent {p}\n"));
    }
    raw.push_str("author A <a@example.com> 1764662400 +0000\n");
    raw.push_str("committer A <a@example.com> 1764662400 +0000\n\n");
    raw.push_str(message);
    raw.push('\n');
    let raw = raw.into_bytes();
    (object_id(&raw, ObjectFormat::Sha1).unwrap(), raw)
}

struct World {
    repo: Repo,
    v1: Signed<RepoPolicy>,
    bundle: Bundle,
    a: GitObjectId,
    b: GitObjectId,
    c: GitObjectId,
}

/// Main created at A by alice, then moved A..B by mallory, who may not
/// push to main; C is on no logged line.
fn world() -> World {
    let repo = Repo::new(vouch_core::Timestamp::now());
    let v1 = sign(repo.policy_v1(), &[&repo.alice, &repo.bob]);
    let (a, raw_a) = raw_commit(None, "a");
    let (b, raw_b) = raw_commit(Some(&a), "b");
    let (c, raw_c) = raw_commit(None, "c");
    let e1 = sign(
        repo.entry(
            None,
            RefLogAction::Policy { version: 1 },
            v1.digest(),
            ALICE,
        ),
        &[&repo.alice],
    );
    let e2 = sign(
        repo.entry(
            Some(&e1),
            update("refs/heads/main", &zero(), &a),
            v1.digest(),
            ALICE,
        ),
        &[&repo.alice],
    );
    let e3 = sign(
        repo.entry(
            Some(&e2),
            update("refs/heads/main", &a, &b),
            v1.digest(),
            MALLORY,
        ),
        &[&repo.mallory],
    );
    let mut bundle = Bundle::new();
    for raw in [raw_a, raw_b, raw_c] {
        bundle.add_commit_object(raw);
    }
    for e in [&e1, &e2, &e3] {
        bundle.add_envelope(e.to_bytes().unwrap());
    }
    bundle.add_envelope(v1.to_bytes().unwrap());
    World {
        repo,
        v1,
        bundle,
        a,
        b,
        c,
    }
}

impl World {
    fn verify(&self, commit: &GitObjectId) -> Vec<Reason> {
        let contents = TreeManifest::from_entries(Vec::new()).unwrap();
        let release = Release {
            package: "shop".into(),
            version: "1.0.0".into(),
            purl: None,
            contents: contents.clone(),
            dependencies: Vec::new(),
            commits: vec![CertifiedCommit::in_repository(commit.clone(), REPOSITORY)],
            released_at: self.repo.now.plus_seconds(-60),
            previous: None,
            archive: None,
            tag: None,
        };
        let mut bundle = self.bundle.clone();
        bundle.add_envelope(sign(release, &[&self.repo.alice]).to_bytes().unwrap());
        let policy = Policy::from_toml(&format!(
            "[image]\nsigners = {{ roles = [\"maintainer\"], threshold = 1 }}\n\
             [release]\nsigners = {{ roles = [\"maintainer\"], threshold = 1 }}\n\
             ref_log = {{ repository = \"{REPOSITORY}\", policy = \"{}\" }}\n",
            self.v1.digest()
        ))
        .unwrap();
        let verdict = Verifier::new(policy, self.repo.roster.clone()).verify(
            &bundle,
            &Target::Release(contents.root()),
            self.repo.now,
        );
        verdict
            .failures()
            .iter()
            .map(|f| f.reason.clone())
            .collect()
    }
}

#[test]
fn a_commit_pushed_by_someone_allowed_passes() {
    let w = world();
    assert_eq!(w.verify(&w.a), []);
}

#[test]
fn a_commit_pushed_by_someone_not_allowed_fails_naming_the_update() {
    let w = world();
    let reasons = w.verify(&w.b);
    let [
        Reason::RefLogRefused {
            sequence: 3,
            update,
            failures,
            ..
        },
    ] = reasons.as_slice()
    else {
        panic!("{reasons:?}");
    };
    assert!(update.starts_with("refs/heads/main "), "{update}");
    assert!(failures[0].contains(MALLORY), "{failures:?}");
    assert!(
        reasons[0].to_string().contains("log entry 3"),
        "{}",
        reasons[0]
    );
}

#[test]
fn a_commit_on_no_logged_line_fails_naming_the_logged_heads() {
    let w = world();
    let reasons = w.verify(&w.c);
    let [Reason::RefLogUnlogged { logged, .. }] = reasons.as_slice() else {
        panic!("{reasons:?}");
    };
    // Mallory's update failed: the log's head of main is still A.
    assert_eq!(logged, &[format!("refs/heads/main at {} (entry 2)", w.a)]);
}
