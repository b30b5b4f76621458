//! vouch_manifest::Signed::<RepoPolicy>::from_bytes (one repository policy
//! version), its re-encoding, and its verification as a pinned first
//! version and as the version after the fixture's version 1.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_manifest::{RepoPolicy, Signed, TrustedRepoPolicy};
use vouch_test_support::repo::{Repo, sign};

fn fx() -> &'static (Repo, Signed<RepoPolicy>) {
    static FX: OnceLock<(Repo, Signed<RepoPolicy>)> = OnceLock::new();
    FX.get_or_init(|| {
        let repo = Repo::new("2026-12-02T12:00:00Z".parse().expect("a time"));
        let v1 = sign(repo.policy_v1(), &[&repo.alice, &repo.bob]);
        (repo, v1)
    })
}

fn seeds() -> Vec<Vec<u8>> {
    let (repo, v1) = fx();
    let v2 = sign(repo.next_policy(v1, |p| p.webhooks.clear()), &[&repo.alice]);
    vec![
        v1.to_bytes().expect("encodes"),
        v2.to_bytes().expect("encodes"),
    ]
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    let Ok(policy) = Signed::<RepoPolicy>::from_bytes(data) else {
        return;
    };
    assert_eq!(policy.to_bytes().expect("re-encodes"), data);
    let (repo, v1) = fx();
    let _ = TrustedRepoPolicy::from_pinned(&policy, &policy.digest(), &repo.roster);
    if let Ok(t1) = TrustedRepoPolicy::from_pinned(v1, &v1.digest(), &repo.roster) {
        let _ = t1.update(&policy, &repo.roster);
    }
    let _ = TrustedRepoPolicy::verify_chain(&v1.digest(), &[v1.clone(), policy.clone()], &repo.roster);
    let p = policy.unverified().predicate();
    let _ = p.rule_for("refs/heads/main");
    let _ = p.allows_webhook("https://ci.example.com/hooks/1");
});
