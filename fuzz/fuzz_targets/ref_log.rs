//! vouch_manifest::Signed::<RefLogEntry>::from_bytes (one reference log
//! entry), its re-encoding, and RefLog::verify of a log holding the fixture
//! policy's entry and the decoded entry after it.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_manifest::{RefLog, RefLogAction, RefLogEntry, RepoPolicy, Signed};
use vouch_test_support::repo::{ALICE, REPOSITORY, Repo, oid, sign, update, zero};

struct Fx {
    repo: Repo,
    v1: Signed<RepoPolicy>,
    first: Signed<RefLogEntry>,
}

fn fx() -> &'static Fx {
    static FX: OnceLock<Fx> = OnceLock::new();
    FX.get_or_init(|| {
        let repo = Repo::new("2026-12-02T12:00:00Z".parse().expect("a time"));
        let v1 = sign(repo.policy_v1(), &[&repo.alice, &repo.bob]);
        let first = sign(
            repo.entry(
                None,
                RefLogAction::Policy { version: 1 },
                v1.digest(),
                ALICE,
            ),
            &[&repo.alice],
        );
        Fx { repo, v1, first }
    })
}

fn seeds() -> Vec<Vec<u8>> {
    let f = fx();
    let second = sign(
        f.repo.entry(
            Some(&f.first),
            update("refs/heads/main", &zero(), &oid("A")),
            f.v1.digest(),
            ALICE,
        ),
        &[&f.repo.alice],
    );
    vec![
        f.first.to_bytes().expect("encodes"),
        second.to_bytes().expect("encodes"),
    ]
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    let Ok(entry) = Signed::<RefLogEntry>::from_bytes(data) else {
        return;
    };
    assert_eq!(entry.to_bytes().expect("re-encodes"), data);
    let f = fx();
    let mut log = RefLog::default();
    log.policies.insert(f.v1.digest(), f.v1.clone());
    log.entries = vec![f.first.clone(), entry];
    let report = log.verify(REPOSITORY, &f.v1.digest(), &f.repo.roster, &|o, n| Some(o == n));
    for failure in &report.failures {
        let _ = failure.to_string();
    }
    assert_eq!(report.entries.len(), 2);
});
